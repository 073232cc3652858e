import { defineConfig } from 'vite';

// Served by static-site under /shop/. It sends `immutable` only to names like name.<hex>.ext,
// so every emitted asset carries a hex hash; public/ (data, images) keeps plain names (no-cache).
export default defineConfig({
  base: '/shop/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rolldownOptions: {
      output: {
        entryFileNames: 'assets/[name].[hash].js',
        chunkFileNames: 'assets/[name].[hash].js',
        assetFileNames: 'assets/[name].[hash][extname]',
        hashCharacters: 'hex',
      },
    },
  },
});
