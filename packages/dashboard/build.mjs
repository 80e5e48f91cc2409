// Placeholder build until the dashboard issue: copies the static page into dist/.
import { mkdirSync, copyFileSync } from 'node:fs';
mkdirSync(new URL('./dist/', import.meta.url), { recursive: true });
copyFileSync(new URL('./index.html', import.meta.url), new URL('./dist/index.html', import.meta.url));
