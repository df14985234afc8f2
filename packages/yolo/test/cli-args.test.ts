import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type CliCommand, mergeEqualsArgs, parseCliArgs } from '../src/cfg/cli-args.js';
import { smartValue } from '../src/cfg/smart-value.js';

function run(argv: string[]): Extract<CliCommand, { kind: 'run' }> {
  const parsed = parseCliArgs(argv);
  assert.equal(parsed.kind, 'run');
  return parsed as Extract<CliCommand, { kind: 'run' }>;
}

describe('smartValue', () => {
  test('none/true/false in any case, Python literals, else the string', () => {
    assert.equal(smartValue('None'), null);
    assert.equal(smartValue('NONE'), null);
    assert.equal(smartValue('True'), true);
    assert.equal(smartValue('false'), false);
    assert.equal(smartValue('640'), 640);
    assert.equal(smartValue('-1'), -1);
    assert.equal(smartValue('0.5'), 0.5);
    assert.equal(smartValue('.25'), 0.25);
    assert.equal(smartValue('1e-3'), 0.001);
    assert.equal(smartValue('1_000'), 1000);
    assert.equal(smartValue('0x10'), 16);
    assert.deepEqual(smartValue('[1,2]'), [1, 2]);
    assert.deepEqual(smartValue('0,1'), [0, 1]);
    assert.deepEqual(smartValue('(640, 480)'), [640, 480]);
    assert.deepEqual(smartValue("[0, 'a', [True, None], 2.5]"), [0, 'a', [true, null], 2.5]);
    assert.equal(smartValue("'quoted'"), 'quoted');
    assert.equal(smartValue('(3)'), 3);
  });

  test('what Python cannot evaluate as a literal stays a string', () => {
    for (const s of ['yolov8n.pt', 'coco8.yaml', 'cpu', 'runs/exp', '007', '1/2', 'inf', '1j', '0.5.1', '[1,2', 'os.system']) {
      assert.equal(smartValue(s), s);
    }
  });
});

describe('mergeEqualsArgs', () => {
  test("joins 'a = b', 'a= b' and 'a =b' as Ultralytics does", () => {
    assert.deepEqual(mergeEqualsArgs(['imgsz', '=', '320', 'epochs=', '3', 'lr0', '=0.1', 'x=1']), [
      'imgsz=320',
      'epochs=3',
      'lr0=0.1',
      'x=1',
    ]);
    assert.deepEqual(mergeEqualsArgs(['a=', 'b=1']), ['a=', 'b=1']);
  });
});

describe('parseCliArgs', () => {
  test('yolo [TASK] MODE key=value ...', () => {
    const r = run(['detect', 'train', 'data=coco8.yaml', 'model=yolov8n.yaml', 'epochs=3', 'imgsz=320', 'device=cpu']);
    assert.equal(r.task, 'detect');
    assert.equal(r.mode, 'train');
    assert.deepEqual(r.overrides, { data: 'coco8.yaml', model: 'yolov8n.yaml', epochs: 3, imgsz: 320, device: 'cpu' });
    assert.deepEqual(r.warnings, []);
  });

  test('task=, mode= and lists for device and imgsz', () => {
    const r = run(['mode=val', 'task=detect', 'device=0,1', 'imgsz=[640,480]', 'half=TRUE', 'source=None']);
    assert.equal(r.mode, 'val');
    assert.equal(r.task, 'detect');
    assert.deepEqual(r.overrides, { device: [0, 1], imgsz: [640, 480], half: true, source: null });
  });

  test('--key value, --key=value and key = value', () => {
    const r = run(['train', '--epochs', '5', '--imgsz=320', 'batch', '=', '4', '--lr0', '0.02', '--device', '0,1', '--batch', '-1']);
    assert.deepEqual(r.overrides, { epochs: 5, imgsz: 320, batch: -1, lr0: 0.02, device: [0, 1] });
  });

  test('bare bool keys set true; --bool takes an explicit true/false', () => {
    assert.deepEqual(run(['predict', 'show']).overrides, { show: true });
    assert.deepEqual(run(['predict', '--show', 'false']).overrides, { show: false });
    const r = run(['--save', 'predict', '--verbose']);
    assert.deepEqual(r.overrides, { save: true, verbose: true });
    assert.equal(r.mode, 'predict');
  });

  test('a missing mode falls back to train with a warning; stray commas and dashes are warned about', () => {
    const r = run(['epochs=3,', '--detect']);
    assert.equal(r.mode, 'train');
    assert.equal(r.task, 'detect');
    assert.deepEqual(r.overrides, { epochs: 3 });
    assert.equal(r.warnings.length, 3);
    assert.match(r.warnings.join('\n'), /trailing comma/);
    assert.match(r.warnings.join('\n'), /does not require leading dashes/);
    assert.match(r.warnings.join('\n'), /'mode' argument is missing.*Using default 'mode=train'/);
  });

  test('cfg=file is kept for getCfg to load', () => {
    assert.deepEqual(run(['train', 'cfg=my.yaml', 'epochs=2']).overrides, { cfg: 'my.yaml', epochs: 2 });
  });

  test('special commands and their aliases', () => {
    assert.deepEqual(parseCliArgs([]), { kind: 'special', command: 'help', args: [] });
    const cases: Array<[string, string]> = [
      ['help', 'help'],
      ['-h', 'help'],
      ['--help', 'help'],
      ['HELP', 'help'],
      ['checks', 'checks'],
      ['check', 'checks'],
      ['version', 'version'],
      ['-v', 'version'],
      ['settings', 'settings'],
      ['cfg', 'cfg'],
      ['--cfg', 'cfg'],
      ['copy-cfg', 'copy-cfg'],
    ];
    for (const [word, command] of cases) {
      const parsed = parseCliArgs([word]);
      assert.equal(parsed.kind === 'special' && parsed.command, command, word);
    }
    assert.deepEqual(parseCliArgs(['settings', 'reset']), { kind: 'special', command: 'settings', args: ['reset'] });
  });

  test('an unknown word or key is a SyntaxError with the closest valid ones', () => {
    assert.throws(
      () => parseCliArgs(['trian']),
      (e: Error) =>
        e instanceof SyntaxError && /'trian' is not a valid YOLO argument\. Similar arguments are i\.e\. \['train'/.test(e.message),
    );
    assert.throws(
      () => parseCliArgs(['train', 'epoch=3']),
      /'epoch' is not a valid YOLO argument\. Similar arguments are i\.e\. \['epochs=100'\]/,
    );
    assert.throws(() => parseCliArgs(['train', '--epoch', '3']), /'epoch' is not a valid YOLO argument/);
  });

  test('an invalid task or mode value lists the valid ones', () => {
    assert.throws(
      () => parseCliArgs(['mode=trian']),
      (e: Error) =>
        e instanceof RangeError && e.message === "Invalid 'mode=trian'. Valid modes are train, val, predict, export, track, benchmark.",
    );
    assert.throws(
      () => parseCliArgs(['task=dettect', 'train']),
      /Invalid 'task=dettect'\. Valid tasks are detect, segment, classify, pose, obb\./,
    );
  });

  test("'key value' without '=' is reported as Ultralytics does", () => {
    assert.throws(
      () => parseCliArgs(['train', 'epochs', '10']),
      (e: Error) =>
        e instanceof SyntaxError &&
        e.message === "'epochs' is a valid YOLO argument but is missing an '=' sign to set its value, i.e. try 'epochs=100'",
    );
  });

  test('a key without a value is a SyntaxError', () => {
    assert.throws(() => parseCliArgs(['train', 'epochs=']), /missing 'epochs' value/);
    assert.throws(() => parseCliArgs(['train', '--epochs']), /'--epochs' is missing a value, i\.e\. try '--epochs 100' or 'epochs=100'/);
    assert.throws(() => parseCliArgs(['train', '--epochs', '--batch', '4']), /'--epochs' is missing a value/);
    assert.throws(() => parseCliArgs(['=3']), /'=3' has no key/);
    assert.throws(() => parseCliArgs(['train', '=3']), /'train' is not a valid YOLO argument/, "merged into 'train=3'");
  });

  test('values are type-checked', () => {
    assert.throws(
      () => parseCliArgs(['train', 'epochs=ten']),
      (e: Error) => e instanceof TypeError && /'epochs=ten'/.test(e.message),
    );
    assert.throws(
      () => parseCliArgs(['train', 'lr0=2']),
      (e: Error) => e instanceof RangeError && /'lr0=2'/.test(e.message),
    );
    assert.throws(() => parseCliArgs(['train', '--save', '1']), /'1' is not a valid YOLO argument/);
  });

  test("'tune' is refused as benchmark is, and refused modes are not suggested for a misspelling", () => {
    assert.throws(
      () => parseCliArgs(['tune', 'data=coco8.yaml']),
      /^Error: mode 'tune' is not supported by yolots yet; supported modes: train, val, predict, export, track$/,
    );
    assert.throws(() => parseCliArgs(['mode=tune']), /^Error: mode 'tune' is not supported by yolots yet/, 'mode=tune says the same');
    assert.throws(
      () => parseCliArgs(['benchmarc']),
      (e: Error) => !e.message.includes("'benchmark'") && e.message.startsWith("'benchmarc' is not a valid YOLO argument"),
    );
  });
});
