import { checkCfg, checkDictAlignment, defaultCfg, formatValue } from './config.js';
import { MODES, type Mode, SUPPORTED_MODES, TASKS, type Task } from './keys.js';
import { smartValue } from './smart-value.js';

/** The `yolo` words that run a command of their own instead of a mode. */
export const SPECIAL_COMMANDS = ['help', 'checks', 'version', 'settings', 'cfg', 'copy-cfg'] as const;
/** A special command. */
export type SpecialCommand = (typeof SPECIAL_COMMANDS)[number];

/** Keys Ultralytics still accepts under an old name; `getCfg` maps them to the new one with a warning. */
const DEPRECATED_KEYS = ['boxes', 'hide_labels', 'hide_conf', 'line_thickness'];

/** What a `yolo` command line asks for. */
export type CliCommand =
  | {
      kind: 'special';
      /** The special command, aliases resolved (`-h` → help). */
      command: SpecialCommand;
      /** The words after it, e.g. ['reset'] for `yolo settings reset`. */
      args: string[];
    }
  | {
      kind: 'run';
      /** The task named on the command line (TASK or task=), null when left to the model. */
      task: Task | null;
      /** The mode (MODE or mode=); 'train' with a warning when missing, as default.yaml says. */
      mode: Mode;
      /** Every other key=value, values converted by `smartValue` and type-checked; `cfg` is kept for getCfg. */
      overrides: Record<string, unknown>;
      /** Notices Ultralytics prints as warnings (missing mode, stray commas or dashes). */
      warnings: string[];
    };

/**
 * Parses `yolo [TASK] MODE key=value ...` (argv without `yolo`) as Ultralytics 8.2.103's `entrypoint` does, without
 * running anything. `key=value`, `key = value`, `--key=value` and `--key value` are accepted; a bare bool key sets
 * true (`yolo predict show`, `--show`, `--show false`). Throws a SyntaxError for an unknown word or key (naming the
 * closest valid ones), for `key value` without `=` and for a key without a value; a RangeError for an invalid
 * task or mode (listing the valid ones); TypeError/RangeError from the type checks of `checkCfg`.
 *
 * @example
 * parseCliArgs(['detect', 'train', 'data=coco8.yaml', 'epochs=3', '--imgsz', '320']);
 * // { kind: 'run', task: 'detect', mode: 'train', overrides: { data: 'coco8.yaml', epochs: 3, imgsz: 320 }, warnings: [] }
 */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  if (argv.length === 0) return { kind: 'special', command: 'help', args: [] };
  const defaults = defaultCfg() as unknown as Record<string, unknown>;
  const specials = specialAliases();
  const tokens = mergeEqualsArgs(argv);
  const overrides: Record<string, unknown> = {};
  const warnings: string[] = [];

  for (let i = 0; i < tokens.length; i++) {
    let a = tokens[i]!; // an index loop: `--key value` consumes the next token too
    if (a.startsWith('--') && !a.includes('=')) {
      const key = a.slice(2);
      if (Object.hasOwn(defaults, key) && !specials.has(key.toLowerCase())) {
        const next = tokens[i + 1];
        if (typeof defaults[key] === 'boolean') {
          const explicit = next !== undefined && ['true', 'false'].includes(next.toLowerCase());
          overrides[key] = explicit ? smartValue(next) : true;
          if (explicit) i++;
        } else if (next !== undefined && !next.startsWith('--') && !next.includes('=')) {
          overrides[key] = parseValue(key, next);
          i++;
        } else {
          throw new SyntaxError(
            `'${a}' is missing a value, i.e. try '${a} ${formatValue(defaults[key])}' or '${key}=${formatValue(defaults[key])}'`,
          );
        }
        continue;
      }
      if (!specials.has(a.toLowerCase())) {
        warnings.push(`argument '${a}' does not require leading dashes '--', updating to '${key}'.`);
        a = key;
      }
    } else if (a.startsWith('--')) {
      a = a.slice(2);
    }
    if (a.endsWith(',')) {
      warnings.push(`argument '${a}' does not require trailing comma ',', updating to '${a.slice(0, -1)}'.`);
      a = a.slice(0, -1);
    }

    if (a.includes('=')) {
      const at = a.indexOf('=');
      const key = a.slice(0, at).trim();
      overrides[key] = parseValue(key, a.slice(at + 1).trim());
    } else if ((TASKS as readonly string[]).includes(a)) {
      overrides.task = a;
    } else if ((MODES as readonly string[]).includes(a)) {
      overrides.mode = a;
    } else if (a === 'tune') {
      throw tuneRefusal();
    } else if (specials.has(a.toLowerCase())) {
      return { kind: 'special', command: specials.get(a.toLowerCase()) as SpecialCommand, args: tokens.slice(i + 1) };
    } else if (Object.hasOwn(defaults, a) && typeof defaults[a] === 'boolean') {
      overrides[a] = true;
    } else if (Object.hasOwn(defaults, a)) {
      throw new SyntaxError(
        `'${a}' is a valid YOLO argument but is missing an '=' sign to set its value, i.e. try '${a}=${formatValue(defaults[a])}'`,
      );
    } else {
      checkDictAlignment(validWords(defaults), { [a]: '' });
    }
  }

  checkDictAlignment(configKeys(defaults), overrides);
  const { task = null, mode, ...rest } = overrides;
  if (task !== null && !(TASKS as readonly unknown[]).includes(task)) {
    throw new RangeError(`Invalid 'task=${formatValue(task)}'. Valid tasks are ${TASKS.join(', ')}.`);
  }
  let resolvedMode = mode;
  if (resolvedMode === undefined || resolvedMode === null) {
    resolvedMode = defaults.mode;
    warnings.push(`'mode' argument is missing. Valid modes are ${MODES.join(', ')}. Using default 'mode=${resolvedMode}'.`);
  } else if (resolvedMode === 'tune') {
    throw tuneRefusal();
  } else if (!(MODES as readonly unknown[]).includes(resolvedMode)) {
    throw new RangeError(`Invalid 'mode=${formatValue(resolvedMode)}'. Valid modes are ${MODES.join(', ')}.`);
  }
  checkCfg(rest);
  return { kind: 'run', task: task as Task | null, mode: resolvedMode as Mode, overrides: rest, warnings };
}

/** `yolo tune` and `mode=tune`: Ultralytics' model.tune() (hyperparameter evolution) has no yolots counterpart; said as for benchmark. */
function tuneRefusal(): Error {
  return new Error(`mode 'tune' is not supported by yolots yet; supported modes: ${SUPPORTED_MODES.join(', ')}`);
}

function parseValue(key: string, text: string): unknown {
  if (key === '') throw new SyntaxError(`'=${text}' has no key before '=', i.e. try 'imgsz=${text}'`);
  if (text === '') throw new SyntaxError(`missing '${key}' value, i.e. try '${key}=<value>'`);
  return smartValue(text);
}

/** The keys `key=value` may set: default.yaml's and the deprecated ones. */
function configKeys(defaults: Record<string, unknown>): Record<string, unknown> {
  return { ...defaults, ...Object.fromEntries(DEPRECATED_KEYS.map((key) => [key, null])) };
}

/** Every word a `yolo` command may hold, for unknown-word suggestions; modes yolots refuses are not suggested. */
function validWords(defaults: Record<string, unknown>): Record<string, unknown> {
  const words = configKeys(defaults);
  for (const word of [...TASKS, ...SUPPORTED_MODES, ...SPECIAL_COMMANDS]) words[word] ??= null;
  return words;
}

/**
 * Ultralytics' spellings of the special commands: the word, its first letter (a later command wins a shared
 * letter), the singular of a plural, each with `-` and `--` in front.
 */
function specialAliases(): Map<string, SpecialCommand> {
  const aliases = new Map<string, SpecialCommand>(SPECIAL_COMMANDS.map((c) => [c, c]));
  for (const [word, command] of [...aliases]) aliases.set(word.charAt(0), command);
  for (const [word, command] of [...aliases]) {
    if (word.length > 1 && word.endsWith('s')) aliases.set(word.slice(0, -1), command);
  }
  for (const [word, command] of [...aliases]) {
    aliases.set(`-${word}`, command);
    aliases.set(`--${word}`, command);
  }
  return aliases;
}

/**
 * Joins the pieces of `key = value`, `key= value` and `key =value` that a shell splits apart, as Ultralytics'
 * `merge_equals_args`.
 *
 * @example
 * mergeEqualsArgs(['imgsz', '=', '320', 'epochs=', '3']); // ['imgsz=320', 'epochs=3']
 */
export function mergeEqualsArgs(argv: readonly string[]): string[] {
  const args = [...argv];
  const merged: string[] = [];
  // `args` shrinks as pieces are joined, so the loop reads it by index; a joined piece extends the last merged one.
  const appendToLast = (text: string) => merged.push(`${merged.pop() ?? ''}${text}`);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (arg === '=' && i > 0 && next !== undefined) {
      appendToLast(`=${next}`);
      args.splice(i + 1, 1);
    } else if (arg.endsWith('=') && next !== undefined && !next.includes('=')) {
      merged.push(`${arg}${next}`);
      args.splice(i + 1, 1);
    } else if (arg.startsWith('=') && i > 0) {
      appendToLast(arg);
    } else {
      merged.push(arg);
    }
  }
  return merged;
}
