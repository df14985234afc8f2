// Parity tests compare the layer tables yolots prints with those the real Ultralytics printed. The two differ by
// design in the module column only: yolots names its own classes (`yolots.nn.modules.block-yolo11.C3k2`) where
// Ultralytics names its Python ones (`ultralytics.nn.modules.block.C3k2`). This maps a yolots row to Ultralytics'
// spelling, keeping the column width, so that every other character is still compared exactly; the class name is
// kept, so a wrong class still fails.

/** yolots' nn/modules/ file → the Ultralytics module holding the class of the same name. */
const ULTRALYTICS_MODULE: Record<string, string> = {
  conv: 'ultralytics.nn.modules.conv',
  block: 'ultralytics.nn.modules.block',
  'block-yolo11': 'ultralytics.nn.modules.block',
  head: 'ultralytics.nn.modules.head',
  classify: 'ultralytics.nn.modules.head',
  segment: 'ultralytics.nn.modules.head',
  layers: 'torch.nn.modules',
};

/** PyTorch's submodule of each torch.nn class a table may name. */
const TORCH_SUBMODULE: Record<string, string> = {
  Upsample: 'upsampling',
  ConvTranspose2d: 'conv',
  MaxPool2d: 'pooling',
  Identity: 'linear',
  BatchNorm2d: 'batchnorm',
};

/** Ultralytics' name for the module yolots names `type`; an Error for a name this map does not know. */
export function ultralyticsModuleName(type: string): string {
  const own = /^yolots\.nn\.modules\.([\w-]+)\.(\w+)$/.exec(type);
  const torchClass = /^torch\.nn\.(\w+)$/.exec(type);
  const [file, cls] = own ? [own[1]!, own[2]!] : torchClass ? ['layers', torchClass[1]!] : ['', ''];
  const module = ULTRALYTICS_MODULE[file];
  if (module === undefined) throw new Error(`no Ultralytics name known for the module '${type}'`);
  if (module !== 'torch.nn.modules') return `${module}.${cls}`;
  const sub = TORCH_SUBMODULE[cls];
  if (sub === undefined) throw new Error(`no PyTorch submodule known for '${type}'`);
  return `${module}.${sub}.${cls}`;
}

/** A printed table row with its module column in Ultralytics' spelling; other lines unchanged. */
export function asUltralyticsRow(line: string): string {
  // The row layout of parseModel: index (3), from (20), n (3), params (10), two spaces, then the module column.
  const row = /^(.{36} {2})((?:yolots\.nn\.modules\.[\w-]+|torch\.nn)\.\w+)( *)(.*)$/s.exec(line);
  if (!row) return line;
  const [, head, type, pad, rest] = row as unknown as [string, string, string, string, string];
  return `${head}${ultralyticsModuleName(type).padEnd(type.length + pad.length)}${rest}`;
}
