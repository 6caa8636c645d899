// Figure group 4: what a grid worker's phone sends for a typical photo of a receipt. Headless
// Debian Chromium makes a ~4 MB photographic JPEG (gradient light, sensor-like noise, printed
// lines, quality 0.95), then runs the web app's own compressImage (web/src/image.ts, bundled for
// the page) on it: the bytes that would go up the weak village link.
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

export interface UploadWeight {
  readonly photoBytes: number;
  readonly photoWidth: number;
  readonly photoHeight: number;
  readonly uploadBytes: number;
  readonly uploadWidth: number;
  readonly uploadHeight: number;
  /** Share of the photo's bytes that is sent. */
  readonly ratio: number;
  readonly compressor: string;
}

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const launchArgs = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The web app's compressImage as a script for the page: window.benchImage.compressImage. */
async function compressorScript(): Promise<string> {
  const result = await build({
    stdin: {
      contents: "export { compressImage, MAX_EDGE_PX, JPEG_QUALITY } from './web/src/image.ts';",
      resolveDir: new URL('..', import.meta.url).pathname,
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    globalName: 'benchImage',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'error',
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error('bundling web/src/image.ts produced nothing');
  return file.text;
}

interface PageResult {
  photoBytes: number;
  photoWidth: number;
  photoHeight: number;
  uploadBytes: number;
  uploadWidth: number;
  uploadHeight: number;
  maxEdge: number;
  quality: number;
}

export async function runUploadWeight(): Promise<UploadWeight> {
  const script = await compressorScript();
  const browser = await chromium.launch({ executablePath: chromiumPath, args: launchArgs });
  try {
    const page = await browser.newPage();
    await page.setContent('<!doctype html><html><body></body></html>');
    await page.addScriptTag({ content: script });
    // tsx keeps function names with a __name() helper; functions sent to the page need it too.
    await page.evaluate('globalThis.__name = (fn) => fn');
    const out = await page.evaluate(async (): Promise<PageResult> => {
      const api = (
        window as unknown as {
          benchImage: { compressImage(file: Blob): Promise<Blob>; MAX_EDGE_PX: number; JPEG_QUALITY: number };
        }
      ).benchImage;
      const width = 4000;
      const height = 3000;
      // A camera-like frame: smooth light falloff, per-pixel sensor noise, a printed receipt.
      const photo = async (noise: number): Promise<Blob> => {
        const canvas = document.createElement('canvas');
        canvas.width = width;
        canvas.height = height;
        const ctx = canvas.getContext('2d');
        if (!ctx) throw new Error('no 2d canvas');
        const image = ctx.createImageData(width, height);
        const data = image.data;
        // Texture at three scales (pixel grain, 4 px and 16 px mottling): a downscaled photo
        // keeps its mid-scale detail, as a real one does, instead of averaging to a flat grey.
        const grid = (cell: number) => {
          const w = Math.ceil(width / cell) + 1;
          const values = new Float32Array(w * (Math.ceil(height / cell) + 1)).map(() => Math.random() - 0.5);
          return (x: number, y: number) => values[Math.floor(y / cell) * w + Math.floor(x / cell)] ?? 0;
        };
        const mid = grid(4);
        const coarse = grid(16);
        for (let y = 0; y < height; y++) {
          const light = 150 + 90 * Math.sin((y / height) * Math.PI);
          for (let x = 0; x < width; x++) {
            const i = (y * width + x) * 4;
            const v =
              light -
              30 * (x / width) +
              noise * ((Math.random() - 0.5) * 0.6 + mid(x, y) * 0.8 + coarse(x, y) * 0.6);
            data[i] = v;
            data[i + 1] = v - 6;
            data[i + 2] = v - 18;
            data[i + 3] = 255;
          }
        }
        ctx.putImageData(image, 0, 0);
        ctx.fillStyle = '#1a1a1a';
        ctx.font = 'bold 130px sans-serif';
        ['收据 RECEIPT', 'TUITION 2026-2027', 'TOTAL 22,700.00'].forEach((line, i) =>
          ctx.fillText(line, 420, 700 + i * 420),
        );
        const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.95));
        if (!blob) throw new Error('toBlob failed');
        return blob;
      };
      // Tune the noise until the photo weighs what a phone's does (3.8-4.4 MB).
      let low = 0;
      let high = 80;
      let noise = 24;
      let blob = await photo(noise);
      for (let step = 0; step < 8 && (blob.size < 3.8e6 || blob.size > 4.4e6); step++) {
        if (blob.size < 3.8e6) low = noise;
        else high = noise;
        noise = (low + high) / 2;
        blob = await photo(noise);
      }
      const sent = await api.compressImage(new File([blob], 'receipt.jpg', { type: 'image/jpeg' }));
      const bitmap = await createImageBitmap(sent);
      return {
        photoBytes: blob.size,
        photoWidth: width,
        photoHeight: height,
        uploadBytes: sent.size,
        uploadWidth: bitmap.width,
        uploadHeight: bitmap.height,
        maxEdge: api.MAX_EDGE_PX,
        quality: api.JPEG_QUALITY,
      };
    });
    return {
      photoBytes: out.photoBytes,
      photoWidth: out.photoWidth,
      photoHeight: out.photoHeight,
      uploadBytes: out.uploadBytes,
      uploadWidth: out.uploadWidth,
      uploadHeight: out.uploadHeight,
      ratio: Math.round((out.uploadBytes / out.photoBytes) * 1000) / 1000,
      compressor: `web/src/image.ts compressImage (long edge ${out.maxEdge} px, JPEG quality ${out.quality})`,
    };
  } finally {
    await browser.close();
  }
}
