// A real phone-sized receipt photo (4000 x 3000 JPEG, a few MB) made by the browser itself:
// paper-grain noise keeps it as large as a camera's, printed lines make it a receipt.
import { writeFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';

export async function makeReceiptPhoto(browser: Browser, path: string, label: string): Promise<number> {
  const page = await browser.newPage();
  try {
    const base64 = await page.evaluate(async (text) => {
      const canvas = document.createElement('canvas');
      canvas.width = 4000;
      canvas.height = 3000;
      const ctx = canvas.getContext('2d');
      if (!ctx) throw new Error('no 2d canvas');
      const image = ctx.createImageData(canvas.width, canvas.height);
      for (let i = 0; i < image.data.length; i += 4) {
        const v = 205 + Math.random() * 50;
        image.data[i] = v;
        image.data[i + 1] = v - 8;
        image.data[i + 2] = v - 20;
        image.data[i + 3] = 255;
      }
      ctx.putImageData(image, 0, 0);
      ctx.fillStyle = '#161616';
      ctx.font = 'bold 150px sans-serif';
      ['RECEIPT / SHOUJU', text, 'TUITION 2026-2027', 'TOTAL 22,700.00'].forEach((line, i) =>
        ctx.fillText(line, 320, 520 + i * 380),
      );
      const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.92));
      if (!blob) throw new Error('toBlob failed');
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000)
        binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(binary);
    }, label);
    const bytes = Buffer.from(base64, 'base64');
    await writeFile(path, bytes);
    return bytes.length;
  } finally {
    await page.close();
  }
}
