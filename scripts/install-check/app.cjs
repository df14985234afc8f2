// A CommonJS user: require() of the ES module package (Node >= 20.19) must not hit a top-level await.
const { VERSION, YOLO, torch } = require('yolots');
if (typeof YOLO !== 'function' || typeof torch.tensor !== 'function') throw new Error('yolots exports are missing');
console.log(`app.cjs: require('yolots') ${VERSION}`);
