// User settings that outlive a run, as Ultralytics' settings.json: `yolo settings tensorboard=True` turns the
// TensorBoard logger on for every later training. Kept in $YOLOTS_CONFIG_DIR/settings.json (default
// ~/.config/yolots); only the settings yolots acts on exist, so a misspelt or unsupported key is an error.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** The settings and their defaults (Ultralytics' names). */
export interface Settings {
  /** Write TensorBoard event files into each training's save_dir. */
  tensorboard: boolean;
  /** Log each training to the MLflow server at MLFLOW_TRACKING_URI. */
  mlflow: boolean;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = { tensorboard: false, mlflow: false };

/** The settings file: $YOLOTS_CONFIG_DIR/settings.json, default ~/.config/yolots/settings.json. */
export function settingsFile(): string {
  return join(process.env.YOLOTS_CONFIG_DIR || join(homedir(), '.config', 'yolots'), 'settings.json');
}

/** The current settings: the defaults, overlaid with the file's values when it exists. */
export function readSettings(): Settings {
  const file = settingsFile();
  if (!existsSync(file)) return { ...DEFAULT_SETTINGS };
  let stored: unknown;
  try {
    stored = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new Error(`settings file ${file} is not valid JSON (${(cause as Error).message}): fix it or run 'yolo settings reset'`, {
      cause,
    });
  }
  return { ...DEFAULT_SETTINGS, ...checkSettings(stored, file) };
}

function checkSettings(values: unknown, where: string): Partial<Settings> {
  if (typeof values !== 'object' || values === null) throw new Error(`${where}: settings must be an object`);
  for (const [key, value] of Object.entries(values)) {
    if (!(key in DEFAULT_SETTINGS))
      throw new Error(`${where}: '${key}' is not a yolots setting (valid: ${Object.keys(DEFAULT_SETTINGS).join(', ')})`);
    if (typeof value !== typeof DEFAULT_SETTINGS[key as keyof Settings])
      throw new Error(`${where}: '${key}' must be a boolean, got ${JSON.stringify(value)}`);
  }
  return values as Partial<Settings>;
}

/** Updates settings from `key=value` words (`tensorboard=True`) and writes the file. */
export function updateSettings(words: readonly string[]): Settings {
  const updates: Record<string, unknown> = {};
  for (const word of words) {
    const [key = '', value] = word.split('=', 2);
    if (value === undefined) throw new Error(`'yolo settings ${word}': write key=value, e.g. 'yolo settings tensorboard=True'`);
    const lowered = value.toLowerCase();
    updates[key] = lowered === 'true' ? true : lowered === 'false' ? false : value;
  }
  const settings = { ...readSettings(), ...checkSettings(updates, 'yolo settings') };
  writeSettings(settings);
  return settings;
}

/** Writes the defaults back. */
export function resetSettings(): Settings {
  writeSettings({ ...DEFAULT_SETTINGS });
  return { ...DEFAULT_SETTINGS };
}

function writeSettings(settings: Settings): void {
  const file = settingsFile();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
}
