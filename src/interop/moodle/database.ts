/** Placeholder replaced below. */
export interface MoodleDatabaseOptions {
  url: string;
}
export async function* readMoodleDatabase(_options: MoodleDatabaseOptions): AsyncIterable<never> {}
