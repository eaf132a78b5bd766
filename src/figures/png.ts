// PNG encoding of RGBA rasters (e.g. boundaryRaster) for the SVG figures. Node only: it uses pngjs
// and Buffer, so it is deliberately NOT re-exported from ./index.ts. In the browser, put the raster
// in an ImageData on a canvas and use canvas.toDataURL('image/png') instead.

import { PNG } from 'pngjs';

/**
 * PNG file bytes of an RGBA image (height, width, 4), row 0 at the top. An image whose pixels are
 * all opaque is written as RGB (smaller); otherwise as RGBA.
 */
export function encodePng(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`encodePng: bad size ${width}x${height}`);
  }
  if (rgba.length !== width * height * 4) {
    throw new Error(`encodePng: ${rgba.length} bytes for ${width}x${height} RGBA, expected ${width * height * 4}`);
  }
  let opaque = true;
  for (let i = 3; i < rgba.length; i += 4) {
    if (rgba[i] !== 255) {
      opaque = false;
      break;
    }
  }
  const png = new PNG({ width, height, colorType: opaque ? 2 : 6, inputColorType: 6, inputHasAlpha: true });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  const file = PNG.sync.write(png, { colorType: opaque ? 2 : 6, inputColorType: 6, inputHasAlpha: true });
  return new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
}

/** 'data:image/png;base64,...' of encodePng(rgba, width, height), for decisionBoundarySvg's raster. */
export function pngDataUri(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): string {
  const bytes = encodePng(rgba, width, height);
  return `data:image/png;base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`;
}
