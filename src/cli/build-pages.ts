import { buildPageAssets } from '../pages/page-assets.build.js';
import { DEFAULT_PAGE_ASSETS_DIR } from '../pages/pages.routes.js';

/** `npm run build:pages`: bundles the hosted pages' scripts and styles into dist/ (part of `npm run build`). */
const outDir = process.argv[2] ?? DEFAULT_PAGE_ASSETS_DIR;
await buildPageAssets(outDir);
console.log(`page assets built in ${outDir}`);
