// ../shared for the yolo tests: the one implementation lives with the torch package's tests, which need it too.
export { requireShared, SHARED, sharedPath } from '../../../torch/test/helpers/shared.js';
