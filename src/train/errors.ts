/** Bad input to a model, a metric or a picture: the message names what and where, never a learner. */
export class TrainError extends Error {
  override readonly name = "TrainError";
}
