/**
 * The converter's configuration: the settings of Moodle's logstore_xapi plugin, under the plugin's own
 * key names, so that a plugin's settings page can be copied as it is.
 */
export interface MoodleConfig {
  source_url: string;
  source_name: string;
  source_version: string;
  source_lang: string;
  app_url: string;
  account_homepage?: string;
  send_mbox: boolean;
  hashmbox: boolean;
  send_name: boolean;
  send_username: boolean;
  send_response_choices: boolean;
  send_short_course_id: boolean;
  send_course_and_module_idnumber: boolean;
  send_jisc_data: boolean;
  session_id: string;
  plugin_url: string;
  plugin_version: string;
}

export const defaultMoodleConfig: MoodleConfig = {
  source_url: "http://moodle.org",
  source_name: "Moodle",
  source_version: "1.0.0",
  source_lang: "en",
  app_url: "http://localhost",
  send_mbox: false,
  hashmbox: false,
  send_name: true,
  send_username: false,
  send_response_choices: false,
  send_short_course_id: false,
  send_course_and_module_idnumber: false,
  send_jisc_data: false,
  session_id: "",
  plugin_url: "https://github.com/xAPI-vle/moodle-logstore_xapi",
  plugin_version: "0.0.0-development",
};

const booleanKeys = [
  "send_mbox",
  "hashmbox",
  "send_name",
  "send_username",
  "send_response_choices",
  "send_short_course_id",
  "send_course_and_module_idnumber",
  "send_jisc_data",
] as const;

/** Reads a `--config` object; unknown keys are refused so that a misspelt setting is not silently ignored. */
export function moodleConfigOf(raw: unknown): MoodleConfig {
  if (raw === undefined || raw === null) return { ...defaultMoodleConfig };
  if (typeof raw !== "object" || Array.isArray(raw)) throw new Error("moodle config: expected a JSON object");
  const config: Record<string, unknown> = { ...defaultMoodleConfig };
  for (const [key, value] of Object.entries(raw)) {
    if (!(key in defaultMoodleConfig) && key !== "account_homepage") {
      throw new Error(`moodle config: unknown key "${key}"`);
    }
    const isBoolean = (booleanKeys as readonly string[]).includes(key);
    if (isBoolean && typeof value !== "boolean") throw new Error(`moodle config: "${key}" must be a boolean`);
    if (!isBoolean && typeof value !== "string") throw new Error(`moodle config: "${key}" must be a string`);
    config[key] = value;
  }
  return config as unknown as MoodleConfig;
}
