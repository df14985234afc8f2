// The engine's version, recorded in checkpoints and exports.
export const VERSION = '0.1.0';
