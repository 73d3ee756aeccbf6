import { packageConfig } from '../../.config/tsup.base.js';

// The page itself (dist/viewer.html) is built by scripts/build-html.ts after tsup, with esbuild for the browser.
export default packageConfig({ index: 'src/index.ts', serve: 'src/serve.ts' });
