import { defineConfig } from '@playwright/test';

// Browser tests run in Debian's Chromium (never a downloaded browser) with WebGPU on; pages are
// served by Vite on localhost, a secure context, so navigator.gpu exists.
const port = Number(process.env.WEBCNN_TEST_PORT ?? 5273);

export default defineConfig({
  testDir: 'test/browser',
  testMatch: '*.spec.ts',
  timeout: 180_000,
  workers: 1,
  reporter: [['list']],
  outputDir: 'test-results/browser',
  use: {
    baseURL: `http://localhost:${port}`,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--enable-unsafe-webgpu',
        '--enable-features=Vulkan',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  webServer: {
    command: `npx vite --port ${port} --strictPort`,
    url: `http://localhost:${port}/test/browser/kernels.html`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
