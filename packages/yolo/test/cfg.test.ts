import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { argsToYaml, writeArgsYaml } from '../src/cfg/args-yaml.js';
import { closeMatches, similarity } from '../src/cfg/close-matches.js';
import { checkCfg, defaultCfg, getCfg, readYamlFile } from '../src/cfg/config.js';
import { CFG_BOOL_KEYS, CFG_FLOAT_KEYS, CFG_FRACTION_KEYS, CFG_INT_KEYS } from '../src/cfg/keys.js';
import { getSaveDir, incrementPath } from '../src/cfg/save-dir.js';

const tmp = mkdtempSync(join(tmpdir(), 'yolots-cfg-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The keys of an args dict saved by Ultralytics 8.2.103 (train_args of shared/fixtures/ultralytics/model.pt), in order. */
const ULTRALYTICS_KEYS = `task mode model data epochs time patience batch imgsz save save_period cache device workers project
name exist_ok pretrained optimizer verbose seed deterministic single_cls rect cos_lr close_mosaic resume amp fraction profile
freeze multi_scale overlap_mask mask_ratio dropout val split save_json save_hybrid conf iou max_det half dnn plots source
vid_stride stream_buffer visualize augment agnostic_nms classes retina_masks embed show save_frames save_txt save_conf
save_crop show_labels show_conf show_boxes line_width format keras optimize int8 dynamic simplify opset workspace nms lr0 lrf
momentum weight_decay warmup_epochs warmup_momentum warmup_bias_lr box cls dfl pose kobj label_smoothing nbs hsv_h hsv_s
hsv_v degrees translate scale shear perspective flipud fliplr bgr mosaic mixup copy_paste auto_augment erasing crop_fraction
cfg tracker`.split(/\s+/);

const quiet = () => {};

describe('default.yaml', () => {
  test('holds every Ultralytics 8.2.103 key, in order', () => {
    assert.deepEqual(Object.keys(defaultCfg()), ULTRALYTICS_KEYS);
  });

  test('defaults as in 8.2.103', () => {
    const d = defaultCfg();
    assert.equal(d.task, 'detect');
    assert.equal(d.mode, 'train');
    assert.equal(d.model, null);
    assert.equal(d.epochs, 100);
    assert.equal(d.batch, 16);
    assert.equal(d.imgsz, 640);
    assert.equal(d.save, true);
    assert.equal(d.freeze, null);
    assert.equal(d.conf, null);
    assert.equal(d.iou, 0.7);
    assert.equal(d.optimizer, 'auto');
    assert.equal(d.simplify, true);
    assert.equal(d.workspace, 4);
    assert.equal(d.lr0, 0.01);
    assert.equal(d.weight_decay, 0.0005);
    assert.equal(d.warmup_bias_lr, 0.1);
    assert.equal(d.box, 7.5);
    assert.equal(d.cls, 0.5);
    assert.equal(d.dfl, 1.5);
    assert.equal(d.nbs, 64);
    assert.equal(d.mosaic, 1);
    assert.equal(d.fliplr, 0.5);
    assert.equal(d.close_mosaic, 10);
    assert.equal(d.tracker, 'botsort.yaml');
    assert.ok(Object.isFrozen(d));
  });

  test('every type-checked key exists and its default passes the check', () => {
    const d = defaultCfg() as unknown as Record<string, unknown>;
    for (const key of [...CFG_FLOAT_KEYS, ...CFG_FRACTION_KEYS, ...CFG_INT_KEYS, ...CFG_BOOL_KEYS]) {
      assert.ok(Object.hasOwn(d, key), key);
    }
    assert.equal(CFG_BOOL_KEYS.size, 34);
    assert.doesNotThrow(() => checkCfg({ ...d }));
  });
});

describe('getCfg', () => {
  test('merges overrides over the defaults, keeping key order', () => {
    const args = getCfg(undefined, { model: 'yolov8n.yaml', data: 'coco8.yaml', epochs: 3, imgsz: 320, lr0: 0 });
    assert.equal(args.epochs, 3);
    assert.equal(args.imgsz, 320);
    assert.equal(args.lr0, 0);
    assert.equal(args.patience, 100);
    assert.deepEqual(Object.keys(args), ULTRALYTICS_KEYS);
    assert.equal(defaultCfg().epochs, 100, 'the defaults are not modified');
  });

  test('an unknown key is a SyntaxError naming the closest valid keys with their defaults', () => {
    assert.throws(
      () => getCfg(undefined, { epoch: 3 }),
      (e: Error) =>
        e instanceof SyntaxError && e.message === "'epoch' is not a valid YOLO argument. Similar arguments are i.e. ['epochs=100'].",
    );
    assert.throws(
      () => getCfg(undefined, { lr: 0.1, xyz: 1 }),
      (e: Error) =>
        e.message ===
        "'lr' is not a valid YOLO argument. Similar arguments are i.e. ['lrf=0.01', 'lr0=0.01'].\n" + "'xyz' is not a valid YOLO argument.",
    );
    assert.throws(() => getCfg(undefined, { devices: 'cpu' }), /Similar arguments are i\.e\. \['device'\]/);
  });

  test('wrong types are TypeErrors naming key and value', () => {
    assert.throws(
      () => getCfg(undefined, { epochs: 'ten' }),
      (e: Error) =>
        e instanceof TypeError && e.message === "'epochs=ten' is of invalid type str. 'epochs' must be an int (i.e. 'epochs=8')",
    );
    assert.throws(() => getCfg(undefined, { epochs: 3.5 }), /'epochs=3.5' is of invalid type float\. 'epochs' must be an int/);
    assert.throws(() => getCfg(undefined, { box: '7.5' }), /'box=7.5' is of invalid type str\. Valid 'box' types are int .* or float/);
    assert.throws(() => getCfg(undefined, { lr0: true }), /'lr0=True' is of invalid type bool/);
    assert.throws(
      () => getCfg(undefined, { save: 'yes' }),
      /'save=yes' is of invalid type str\. 'save' must be a bool \(i\.e\. 'save=True' or 'save=False'\)/,
    );
    assert.throws(() => getCfg(undefined, { plots: 1 }), TypeError);
    assert.throws(() => getCfg(undefined, { batch: null }), /'batch=None' is of invalid type NoneType.*'batch=16'/);
  });

  test('a fraction outside [0, 1] is a RangeError naming key and value', () => {
    assert.throws(
      () => getCfg(undefined, { lr0: 1.5 }),
      (e: Error) => e instanceof RangeError && e.message === "'lr0=1.5' is an invalid value. Valid 'lr0' values are between 0.0 and 1.0.",
    );
    assert.throws(() => getCfg(undefined, { fliplr: -0.1 }), RangeError);
    assert.throws(() => getCfg(undefined, { conf: Number.NaN }), RangeError);
  });

  test('accepted: ints for float keys, null where the default is null, negative batch, lists', () => {
    const args = getCfg(undefined, {
      box: 7,
      time: null,
      conf: 0.25,
      batch: -1,
      imgsz: [640, 480],
      device: [0, 1],
      freeze: 10,
    });
    assert.equal(args.box, 7);
    assert.equal(args.time, null);
    assert.equal(args.batch, -1);
    assert.deepEqual(args.imgsz, [640, 480]);
    assert.deepEqual(args.device, [0, 1]);
  });

  test('numeric project/name become strings; name=model takes the model stem', () => {
    const warnings: string[] = [];
    const args = getCfg(undefined, { project: 7, name: 'model', model: 'yolov8s.pt' }, (m) => warnings.push(m));
    assert.equal(args.project, '7');
    assert.equal(args.name, 'yolov8s');
    assert.match(warnings[0]!, /'name=model' automatically updated to 'name=yolov8s'/);
  });

  test('deprecated keys are mapped with a warning', () => {
    const warnings: string[] = [];
    const args = getCfg(undefined, { hide_labels: true, hide_conf: false, boxes: false, line_thickness: 2 }, (m) => warnings.push(m));
    assert.equal(args.show_labels, false);
    assert.equal(args.show_conf, true);
    assert.equal(args.show_boxes, false);
    assert.equal(args.line_width, 2);
    assert.equal(warnings.length, 4);
    assert.ok(!('hide_labels' in args));
  });

  test('cfg=my.yaml replaces the defaults it names; explicit overrides still win', () => {
    const file = join(tmp, 'my.yaml');
    writeFileSync(file, 'epochs: 7\nimgsz: 320\nfreeze: None\nmosaic: 0.5\n');
    const fromPath = getCfg(file, { imgsz: 416 }, quiet);
    assert.equal(fromPath.epochs, 7);
    assert.equal(fromPath.imgsz, 416);
    assert.equal(fromPath.mosaic, 0.5);
    assert.equal(fromPath.freeze, null, "a bare None reads as null, as Ultralytics' default.yaml means it");
    assert.equal(fromPath.lr0, 0.01, 'keys the file does not name keep their defaults');

    const viaOverride = getCfg(undefined, { cfg: file, epochs: 9 }, quiet);
    assert.equal(viaOverride.epochs, 9);
    assert.equal(viaOverride.imgsz, 320);
    assert.equal(viaOverride.cfg, file);

    const fromObject = getCfg({ epochs: 2, save_dir: 'runs/x' }, { save_dir: 'runs/y' });
    assert.equal(fromObject.epochs, 2);
    assert.equal(fromObject.save_dir, 'runs/y', 'save_dir overrides apply when the base has one');
    assert.equal(getCfg(undefined, { save_dir: 'runs/z' }).save_dir, undefined, 'and are dropped otherwise');
  });

  test('bad config files are Errors naming the file', () => {
    const unknown = join(tmp, 'unknown.yaml');
    writeFileSync(unknown, 'epochz: 3\n');
    assert.throws(() => getCfg(unknown), /in .*unknown\.yaml: 'epochz' is not a valid YOLO argument\. Similar .*epochs=100/);
    assert.throws(() => getCfg(join(tmp, 'missing.yaml')), /config file '.*missing\.yaml' cannot be read/);
    const broken = join(tmp, 'broken.yaml');
    writeFileSync(broken, 'epochs: [3\n');
    assert.throws(() => readYamlFile(broken), /config file '.*broken\.yaml' is not valid YAML/);
    const list = join(tmp, 'list.yaml');
    writeFileSync(list, '- 1\n- 2\n');
    assert.throws(() => readYamlFile(list), /must hold a mapping of key: value, not list/);
    const typed = join(tmp, 'typed.yaml');
    writeFileSync(typed, 'epochs: many\n');
    assert.throws(() => getCfg(typed), /'epochs=many' is of invalid type str/);
  });
});

describe('closeMatches (difflib.get_close_matches)', () => {
  const keys = Object.keys(defaultCfg());
  test('same suggestions and order as Python', () => {
    // Expected values from Python 3's difflib over default.yaml's keys.
    assert.deepEqual(closeMatches('epoch', keys), ['epochs']);
    assert.deepEqual(closeMatches('lr', keys), ['lrf', 'lr0']);
    assert.deepEqual(closeMatches('save_txts', keys), ['save_txt', 'save_json', 'save']);
    assert.deepEqual(closeMatches('optimiser', keys), ['optimizer', 'optimize', 'time']);
    assert.deepEqual(closeMatches('hsv', keys), ['hsv_v', 'hsv_s', 'hsv_h']);
    assert.deepEqual(closeMatches('mosiac', keys), ['mosaic']);
    assert.deepEqual(closeMatches('confidence', keys), []);
    assert.equal(similarity('abcd', 'bcde'), 0.75);
  });
});

describe('getSaveDir / incrementPath', () => {
  test('project/name incremented train, train2, train3 unless exist_ok', () => {
    const project = join(tmp, 'runs-a');
    const args = getCfg(undefined, { project });
    const first = getSaveDir(args, { rank: -1 });
    assert.equal(first, join(project, 'train'));
    mkdirSync(first, { recursive: true });
    const second = getSaveDir(args, { rank: -1 });
    assert.equal(second, join(project, 'train2'));
    mkdirSync(second);
    assert.equal(getSaveDir(args, { rank: -1 }), join(project, 'train3'));
    assert.equal(getSaveDir({ ...args, exist_ok: true }, { rank: -1 }), join(project, 'train'));
    assert.equal(getSaveDir(args, { rank: 1 }), join(project, 'train'), 'ranks > 0 reuse the directory of rank 0');
  });

  test('without project: <runsDir>/<task>/<name or mode>; save_dir wins', () => {
    const args = getCfg(undefined, { mode: 'val' });
    assert.equal(getSaveDir(args, { runsDir: join(tmp, 'r'), rank: -1 }), join(tmp, 'r', 'detect', 'val'));
    assert.equal(getSaveDir({ ...args, name: 'exp' }, { runsDir: 'runs', rank: -1 }), join('runs', 'detect', 'exp'));
    assert.equal(getSaveDir({ ...args, save_dir: '/x/y' }), '/x/y');
    assert.equal(getSaveDir(args, { runsDir: 'runs', name: 'custom', rank: 0 }), join('runs', 'detect', 'custom'));
  });

  test('a file keeps its suffix; mkdir creates the directory', () => {
    const file = join(tmp, 'out.txt');
    writeFileSync(file, '');
    assert.equal(incrementPath(file), join(tmp, 'out2.txt'));
    const dir = incrementPath(join(tmp, 'made', 'exp'), false, '-', true);
    assert.equal(dir, join(tmp, 'made', 'exp'));
    assert.equal(incrementPath(dir, false, '-'), `${dir}-2`);
  });
});

describe('args.yaml', () => {
  test('written as Ultralytics writes it and read back to the same args', () => {
    const args = {
      ...getCfg(undefined, { data: 'coco8.yaml', imgsz: [640, 480], name: '1' }),
      save_dir: 'runs/detect/train',
    };
    const file = join(tmp, 'args.yaml');
    writeArgsYaml(file, args);
    const text = readFileSync(file, 'utf8');
    assert.ok(text.startsWith('task: detect\nmode: train\nmodel: null\ndata: coco8.yaml\nepochs: 100\n'), text.slice(0, 80));
    assert.match(text, /\nimgsz:\n- 640\n- 480\n/);
    assert.match(text, /\nwarmup_epochs: 3\.0\n/);
    assert.match(text, /\nfraction: 1\.0\n/);
    assert.match(text, /\nbatch: 16\n/);
    assert.match(text, /\nname: '1'\n/);
    assert.match(text, /\nsave: true\n/);
    assert.ok(text.endsWith('tracker: botsort.yaml\nsave_dir: runs/detect/train\n'));
    assert.deepEqual(readYamlFile(file), args);
    assert.deepEqual(getCfg(file), args, 'args.yaml is a valid cfg');
    assert.equal(argsToYaml({ degrees: 5 }), 'degrees: 5.0\n');
  });
});
