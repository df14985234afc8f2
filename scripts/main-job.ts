// The README's main job. Until the YOLO engine lands, it is the @yolots/torch demo: a small conv net trained
// with the package, printing its falling loss.
await import('../examples/train-convnet.js');
