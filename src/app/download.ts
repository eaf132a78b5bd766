// model.json downloads from the page (the trained model, the best run of a sweep): the CLI's format.

import { serializeModel, type Model } from '../model/modelFile.ts';
import { VERSION } from '../version.ts';

/** Saves `model` as model.json through the browser's download. */
export function downloadModel(model: Model): void {
  const text = serializeModel(model, VERSION);
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'model.json';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
