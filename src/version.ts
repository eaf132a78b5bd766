// The library version (from package.json), written into model.json and metrics.json.
import packageJson from '../package.json';

export const VERSION: string = packageJson.version;
