// The browser app: the controls on the left, the live views on the right, one Session training at a time.
// Everything the page computes comes from the library in src/ (data, trainers, figures, model file), the
// same code the CLI runs; this file only wires the DOM to it.

import './style.css';
import { OPTIMIZERS, type OptimizerKind } from '../cpu/optimizer.ts';
import { InputError } from '../data/dataset.ts';
import { SYNTHETIC_NAMES, SYNTHETIC_SETS } from '../data/synthetic.ts';
import { confusionMatrixSvg } from '../figures/confusionMatrix.ts';
import { NoGpuError } from '../gpu/device.ts';
import { ACTIVATIONS, parameterCount, type Activation } from '../model/mlp.ts';
import { MODEL_FORMAT, parseModel, type Model } from '../model/modelFile.ts';
import type { Evaluation } from '../train/metrics.ts';
import { DEFAULT_TRAIN_CONFIG } from '../train/runTraining.ts';
import { BoundaryView } from './boundaryView.ts';
import { Curves } from './charts.ts';
import { DEFAULT_APP_CONFIG, DEFAULT_SPLIT, OPTIMIZER_LABELS, TIMING, type AppConfig, type DataChoice } from './config.ts';
import { dataRecord, loadSplit, pickDataFiles } from './data.ts';
import { $, ThrottledDraw, legendItems } from './dom.ts';
import { downloadModel } from './download.ts';
import { PageGpu } from './pageGpu.ts';
import { Session, noWebGpuMessage, type NoticeKind, type SessionListener, type SessionStatus } from './session.ts';
import { SweepView, type SweepContext } from './sweepView.ts';

/** What the page found when it asked for WebGPU at start-up. */
type WebGpuProbe = { available: true; adapterName: string } | { available: false; reason: string };

const FILE_OPTION = '__files__';

const pct = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : `${(100 * v).toFixed(1)}%`);
const fixed = (v: number | undefined, digits = 4) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

/** A number from an input, or an InputError naming the field. */
function readNumber(id: string, what: string, check: (v: number) => boolean, rule: string): number {
  const input = $<HTMLInputElement>(id);
  const v = Number(input.value.trim());
  if (input.value.trim() === '' || !Number.isFinite(v) || !check(v)) throw new InputError(`${what}: "${input.value}" is not ${rule}`);
  return v;
}

const isInt = (v: number) => Number.isInteger(v);

/** Whether the page has WebGPU: the page's device is opened here and kept for every run. */
async function probeWebGpu(gpu: PageGpu): Promise<WebGpuProbe> {
  try {
    return { available: true, adapterName: await gpu.adapterName() };
  } catch (error) {
    return { available: false, reason: error instanceof NoGpuError ? error.message : `WebGPU failed to start: ${(error as Error).message}` };
  }
}

class App {
  private config: AppConfig = structuredClone(DEFAULT_APP_CONFIG);
  private readonly files = new Map<string, string>();
  /** The data files last loaded, to come back to from a synthetic set. */
  private fileChoice: Extract<DataChoice, { kind: 'files' }> | null = null;
  private session: Session | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly curves = new Curves($('loss-chart'), $('accuracy-chart'));
  private readonly boundary = new BoundaryView($<HTMLCanvasElement>('boundary'));
  private readonly gpu = new PageGpu();
  private readonly sweep = new SweepView(() => this.sweepContext(), () => this.session?.pause());
  private readonly notices: { message: string; kind: NoticeKind }[] = [];
  private probe: WebGpuProbe | null = null;
  /** The curves are redrawn at most every TIMING.chartRefreshMs. */
  private readonly charts = new ThrottledDraw(TIMING.chartRefreshMs, () => {
    if (this.session) this.curves.update(this.session.history);
    this.renderStats();
  });
  private dataError: string | null = null;
  /** Longest time between two animation frames while training ran (the page's responsiveness). */
  private maxFrameGapMs = 0;
  private lastFrame = NaN;

  async start(): Promise<void> {
    this.fillSelects();
    this.writeControls();
    this.wire();
    this.watchFrames();
    this.probe = await probeWebGpu(this.gpu);
    if (!this.probe.available) {
      this.notice(noWebGpuMessage(this.probe.reason), 'warn');
      const gpuOption = $<HTMLSelectElement>('backend').querySelector('option[value="gpu"]') as HTMLOptionElement;
      gpuOption.textContent = 'GPU (no WebGPU here)';
      this.config.backend = 'cpu';
      this.writeControls();
    }
    await this.rebuild();
  }

  // ---- controls ----

  private fillSelects(): void {
    const dataSet = $<HTMLSelectElement>('data-set');
    dataSet.replaceChildren(...SYNTHETIC_NAMES.map((name) => new Option(name, name)));
    $<HTMLSelectElement>('activation').replaceChildren(...ACTIVATIONS.map((a) => new Option(a, a)));
    $<HTMLSelectElement>('optimizer').replaceChildren(...OPTIMIZERS.map((o) => new Option(OPTIMIZER_LABELS[o], o)));
  }

  private writeControls(): void {
    const c = this.config;
    const dataSet = $<HTMLSelectElement>('data-set');
    const fileOption = dataSet.querySelector(`option[value="${FILE_OPTION}"]`);
    if (c.data.kind === 'files') {
      const label = `file: ${c.data.train}${c.data.test ? ` + ${c.data.test}` : ''}`;
      if (fileOption) fileOption.textContent = label;
      else dataSet.append(new Option(label, FILE_OPTION));
      dataSet.value = FILE_OPTION;
      $<HTMLInputElement>('split').value = String(c.data.split);
      $<HTMLInputElement>('split').disabled = c.data.test !== null;
      $('data-description').textContent = c.data.test ? `training file ${c.data.train}, test file ${c.data.test}` : `${c.data.train}, ${Math.round(c.data.split * 100)}% held out as the test set`;
    } else {
      const set = SYNTHETIC_SETS[c.data.name];
      dataSet.value = c.data.name;
      $<HTMLInputElement>('train-size').value = String(c.data.trainSize);
      $<HTMLInputElement>('test-size').value = String(c.data.testSize);
      $<HTMLInputElement>('noise').value = String(c.data.noise);
      $<HTMLInputElement>('classes').value = String(c.data.classes ?? set.classes);
      $('classes-field').hidden = !set.variableClasses;
      $('data-description').textContent = set.description;
    }
    $<HTMLInputElement>('data-seed').value = String(c.data.seed);
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('.synthetic-only'))) el.hidden = c.data.kind !== 'synthetic';
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('.files-only'))) el.hidden = c.data.kind !== 'files';
    $<HTMLInputElement>('hidden').value = c.hidden.join(', ');
    $<HTMLSelectElement>('activation').value = c.activation;
    $<HTMLInputElement>('standardize').checked = c.standardize;
    $<HTMLSelectElement>('optimizer').value = c.optimizer.kind;
    $<HTMLInputElement>('lr').value = String(c.optimizer.lr);
    $<HTMLInputElement>('momentum').value = String(c.optimizer.momentum);
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('.momentum-only'))) el.hidden = c.optimizer.kind !== 'momentum';
    $<HTMLInputElement>('batch').value = String(c.batchSize);
    $<HTMLInputElement>('epochs').value = String(c.epochs);
    $<HTMLInputElement>('seed').value = String(c.seed);
    $<HTMLSelectElement>('backend').value = c.backend;
  }

  /** The data choice the data controls describe. */
  private readDataChoice(): DataChoice {
    const seed = readNumber('data-seed', 'data seed', (v) => isInt(v) && v >= 0, 'an integer >= 0');
    const selected = $<HTMLSelectElement>('data-set').value;
    if (selected === FILE_OPTION && this.fileChoice) {
      const split = this.config.data.kind === 'files' ? readNumber('split', 'test fraction', (v) => v > 0 && v < 1, 'a number between 0 and 1') : this.fileChoice.split;
      return { ...this.fileChoice, split, seed };
    }
    const set = SYNTHETIC_SETS[selected];
    if (this.config.data.kind !== 'synthetic' || this.config.data.name !== selected) {
      // Another set: its own defaults, the sizes kept.
      const sizes = this.config.data.kind === 'synthetic' ? this.config.data : DEFAULT_APP_CONFIG.data as Extract<DataChoice, { kind: 'synthetic' }>;
      return { kind: 'synthetic', name: selected, trainSize: sizes.trainSize, testSize: sizes.testSize, noise: set.noise, classes: null, seed };
    }
    const trainSize = readNumber('train-size', 'training samples', (v) => isInt(v) && v >= 1, 'a positive integer');
    const testSize = readNumber('test-size', 'test samples', (v) => isInt(v) && v >= 1, 'a positive integer');
    const noise = readNumber('noise', 'noise', (v) => v >= 0, 'a number >= 0');
    const classes = set.variableClasses ? readNumber('classes', 'classes', (v) => isInt(v) && v >= 2 && v <= 30, 'an integer from 2 to 30') : null;
    return { kind: 'synthetic', name: selected, trainSize, testSize, noise, classes, seed };
  }

  private readHidden(): number[] {
    const text = $<HTMLInputElement>('hidden').value.trim();
    if (text === '') return [];
    const parts = text.split(/[\s,]+/).filter((s) => s !== '');
    const sizes = parts.map(Number);
    const bad = sizes.findIndex((n) => !Number.isInteger(n) || n < 1 || n > 4096);
    if (bad >= 0) throw new InputError(`hidden layers: "${parts[bad]}" is not a layer size (an integer from 1 to 4096)`);
    return sizes;
  }

  private readOptimizer(): Pick<AppConfig, 'optimizer' | 'batchSize' | 'backend'> {
    const kind = $<HTMLSelectElement>('optimizer').value as OptimizerKind;
    const lr = readNumber('lr', 'learning rate', (v) => v > 0, 'a positive number');
    const momentum = readNumber('momentum', 'momentum', (v) => v >= 0 && v < 1, 'a number in [0, 1)');
    const batchSize = readNumber('batch', 'batch size', (v) => isInt(v) && v >= 0, 'an integer >= 0 (0 = full batch)');
    const backend = $<HTMLSelectElement>('backend').value === 'gpu' ? 'gpu' : 'cpu';
    return { optimizer: { ...this.config.optimizer, kind, lr, momentum }, batchSize, backend };
  }

  private wire(): void {
    const onChange = (ids: string[], handler: () => void) => {
      for (const id of ids) $(id).addEventListener('change', () => this.guard(handler));
    };
    // Data and architecture: a new model from a fresh initialisation.
    onChange(['data-set', 'train-size', 'test-size', 'noise', 'classes', 'data-seed', 'split'], () => {
      this.config.data = this.readDataChoice();
      this.writeControls();
      void this.rebuild();
    });
    onChange(['hidden', 'activation', 'standardize', 'seed'], () => {
      this.config.hidden = this.readHidden();
      this.config.activation = $<HTMLSelectElement>('activation').value as Activation;
      this.config.standardize = $<HTMLInputElement>('standardize').checked;
      this.config.seed = readNumber('seed', 'seed', (v) => isInt(v) && v >= 0, 'an integer >= 0');
      void this.rebuild();
    });
    // Optimizer and backend: training continues from the current parameters.
    onChange(['optimizer', 'lr', 'momentum', 'batch', 'backend'], () => {
      Object.assign(this.config, this.readOptimizer());
      this.writeControls();
      const session = this.session;
      if (!session?.trainer || session.status === 'error') void this.rebuild();
      else
        void session.reconfigure(this.config).then(() => {
          this.renderDevice();
          this.renderStats();
        });
    });
    onChange(['epochs'], () => {
      this.config.epochs = readNumber('epochs', 'epochs', (v) => isInt(v) && v >= 1, 'a positive integer');
    });
    $('start').addEventListener('click', () => {
      const s = this.session;
      if (!s) return;
      if (s.status === 'running') s.pause();
      else {
        this.maxFrameGapMs = 0;
        s.start(this.config.epochs);
      }
    });
    $('step').addEventListener('click', () => void this.session?.step());
    $('reset').addEventListener('click', () => void this.rebuild());
    $('download').addEventListener('click', () => void this.download());
    $<HTMLInputElement>('model-input').addEventListener('change', (event) => {
      const input = event.target as HTMLInputElement;
      const file = input.files?.[0];
      input.value = '';
      if (file) void file.text().then((text) => this.loadModel(text, file.name));
    });
    $<HTMLInputElement>('file-input').addEventListener('change', (event) => {
      const input = event.target as HTMLInputElement;
      const files = Array.from(input.files ?? []);
      input.value = '';
      void this.takeFiles(files);
    });
    $<HTMLInputElement>('show-test').addEventListener('change', (event) => {
      this.boundary.showTest = (event.target as HTMLInputElement).checked;
      this.boundary.draw();
    });
    $('matrix-set').addEventListener('change', () => this.renderMatrix());
    const overlay = $('drop-overlay');
    let depth = 0;
    document.addEventListener('dragenter', (e) => {
      e.preventDefault();
      depth++;
      overlay.hidden = false;
    });
    document.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) overlay.hidden = true;
    });
    document.addEventListener('dragover', (e) => e.preventDefault());
    document.addEventListener('drop', (e) => {
      e.preventDefault();
      depth = 0;
      overlay.hidden = true;
      void this.takeFiles(Array.from(e.dataTransfer?.files ?? []));
    });
  }

  /** Runs a control handler; a bad value is reported under the data controls. */
  private guard(handler: () => void): void {
    try {
      handler();
      this.setDataError(null);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      this.setDataError(error.message);
    }
  }

  // ---- files ----

  /** Dropped or chosen files: a model.json is loaded as a model, anything else is data. */
  private async takeFiles(files: File[]): Promise<void> {
    if (files.length === 0) return;
    const texts = await Promise.all(files.map(async (f) => ({ name: f.name, text: await f.text() })));
    if (texts.length === 1 && isModelFile(texts[0].text)) return this.loadModel(texts[0].text, texts[0].name);
    let picked: { train: string; test: string | null };
    try {
      picked = pickDataFiles(texts.map((t) => t.name));
    } catch (error) {
      this.setDataError((error as Error).message);
      return;
    }
    const previous = { files: new Map(this.files), data: this.config.data };
    this.files.clear();
    for (const t of texts) this.files.set(t.name, t.text);
    this.config.data = { kind: 'files', train: picked.train, test: picked.test, split: DEFAULT_SPLIT, seed: this.config.data.seed };
    if (await this.rebuild()) {
      this.fileChoice = this.config.data as Extract<DataChoice, { kind: 'files' }>;
    } else {
      // Bad data: the message is shown, the page keeps training what it had.
      this.files.clear();
      for (const [k, v] of previous.files) this.files.set(k, v);
      this.config.data = previous.data;
    }
    this.writeControls();
  }

  private async loadModel(text: string, name: string): Promise<void> {
    let model: Model;
    try {
      model = parseModel(text, name);
    } catch (error) {
      this.notice((error as Error).message, 'error');
      return;
    }
    const record = model.training;
    const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
    const layers = model.params.spec.layers;
    const previous = structuredClone(this.config);
    if (typeof record.data === 'string' && Object.hasOwn(SYNTHETIC_SETS, record.data)) {
      const set = SYNTHETIC_SETS[record.data];
      this.config.data = {
        kind: 'synthetic',
        name: record.data,
        trainSize: num(record.trainSize, 400),
        testSize: num(record.testSize, 100),
        noise: num(record.noise, set.noise),
        classes: set.variableClasses ? layers[layers.length - 1] : null,
        seed: num(record.dataSeed, 1),
      };
    }
    this.config.hidden = layers.slice(1, -1);
    this.config.activation = model.params.spec.activation;
    this.config.standardize = model.standardization !== null;
    this.config.seed = num(record.seed, this.config.seed);
    const optimizer = record.optimizer as Partial<AppConfig['optimizer']> | undefined;
    if (optimizer && OPTIMIZERS.includes(optimizer.kind as OptimizerKind) && num(optimizer.lr, 0) > 0) {
      this.config.optimizer = { ...this.config.optimizer, ...optimizer };
    }
    this.config.batchSize = num(record.batchSize, this.config.batchSize);
    this.writeControls();
    if (await this.rebuild(model)) {
      const where = typeof record.device === 'string' ? ` on ${record.device}` : '';
      this.notice(`Loaded ${name}: ${layers.join('-')} ${model.params.spec.activation}, trained ${num(record.epochs, 0)} epochs${where}; evaluated on ${this.session?.split.train.name}.`, 'info');
    } else {
      this.config = previous;
      this.writeControls();
    }
  }

  private async download(): Promise<void> {
    const session = this.session;
    if (!session?.trainer) return;
    try {
      downloadModel(await session.model());
    } catch (error) {
      this.notice((error as Error).message, 'error');
    }
  }

  /** The page's data and settings for a sweep: everything its grid does not vary. */
  private sweepContext(): SweepContext {
    const c = this.config;
    const base = { ...DEFAULT_TRAIN_CONFIG, activation: c.activation, optimizer: c.optimizer, batchSize: c.batchSize, standardize: c.standardize, backend: c.backend === 'gpu' ? 'auto' : 'cpu' } as const;
    return { split: loadSplit(c.data, this.files), base, dataRecord: dataRecord(c.data), acquireGpu: () => this.gpu.acquire() };
  }

  // ---- sessions ----

  /**
   * Replaces the session with a new one on the configured data, from `init` or a fresh initialisation.
   * Resolves false (the old session kept) when the data or the model does not work; the reason is shown.
   */
  private rebuild(init: Model | null = null): Promise<boolean> {
    const task = this.queue.then(async () => {
      let next: Session;
      try {
        const split = loadSplit(this.config.data, this.files);
        next = new Session(split, structuredClone(this.config), this.listenerFor(() => next), () => this.gpu.acquire(), init);
      } catch (error) {
        if (error instanceof InputError) this.setDataError(error.message);
        else this.notice((error as Error).message, 'error');
        return false;
      }
      this.setDataError(null);
      this.clearNotices('error');
      await this.session?.dispose();
      this.session = next;
      this.boundary.setData(next.grid, next.split.train, next.split.test, next.spec.layers[next.spec.layers.length - 1]);
      this.renderLegend();
      this.renderArchitecture();
      this.charts.now();
      this.renderMatrix();
      this.renderStatus();
      await next.build();
      this.renderDevice();
      return true;
    });
    this.queue = task.catch(() => undefined);
    return task;
  }

  private listenerFor(session: () => Session): SessionListener {
    const current = () => this.session === session();
    return {
      history: () => current() && this.charts.soon(),
      views: () => {
        if (!current()) return;
        this.boundary.setProbs(session().boundaryProbs);
        this.renderMatrix();
        this.renderStats();
      },
      status: () => {
        if (!current()) return;
        this.renderStatus();
        this.charts.now();
      },
      notice: (message, kind) => current() && this.notice(message, kind),
    };
  }

  // ---- rendering ----

  private renderStats(): void {
    const s = this.session;
    const last = s?.history.last();
    const test = s?.evaluations.test;
    const train = s?.evaluations.train;
    $('stat-epoch').textContent = s ? String(s.epochsDone) + (s.status === 'running' || s.status === 'paused' ? ` / ${s.target}` : '') : '0';
    // The latest epoch's numbers while training; the evaluation of the current parameters otherwise.
    const showEval = !last || (test !== null && s?.status !== 'running');
    $('stat-train-loss').textContent = fixed(showEval ? train?.loss : last?.trainLoss);
    $('stat-train-acc').textContent = pct(showEval ? train?.accuracy : last?.trainAccuracy);
    $('stat-test-loss').textContent = fixed(showEval ? test?.loss : last?.testLoss);
    $('stat-test-acc').textContent = pct(showEval ? test?.accuracy : last?.testAccuracy);
    const speed = s?.epochsPerSecond;
    $('stat-speed').textContent = speed !== undefined && Number.isFinite(speed) ? `${speed >= 100 ? Math.round(speed) : speed.toFixed(1)} epochs/s` : '–';
    this.renderRunInfo();
  }

  /** The run's details under the confusion matrix: what trains, where, and how the page schedules it. */
  private renderRunInfo(): void {
    const s = this.session;
    const host = $('run-info');
    if (!s) {
      host.replaceChildren();
      return;
    }
    const o = s.optimizer;
    const trainer = s.trainer;
    const batch = s.batchSize > 0 && s.batchSize < s.split.train.size ? `mini-batch ${s.batchSize}` : 'full batch';
    const optimizer = `${o.kind}, lr ${o.lr}${o.kind === 'momentum' ? `, momentum ${o.momentum}` : ''}, ${batch}`;
    const rows: [string, string][] = [
      ['data', `${s.split.train.name}: ${s.split.train.size} training, ${s.split.test.size} test samples, ${s.split.train.inputs} inputs`],
      ['model', `${s.spec.layers.join('-')} ${s.spec.activation} + softmax${s.standardization ? ', standardized inputs' : ''}${s.isLoaded ? ' (loaded)' : `, seed ${s.config.seed}`}`],
      ['optimizer', optimizer],
      ['device', trainer ? (trainer.backend === 'gpu' ? `GPU: ${s.adapterName ?? trainer.deviceName}` : trainer.deviceName) : '–'],
      ['schedule', `${s.chunk} epoch${s.chunk === 1 ? '' : 's'} per chunk; boundary and matrix ${Number.isFinite(s.viewMs) ? `${s.viewMs.toFixed(0)} ms` : '–'} per refresh`],
    ];
    host.replaceChildren(
      ...rows.flatMap(([key, value]) => {
        const dt = document.createElement('dt');
        dt.textContent = key;
        const dd = document.createElement('dd');
        dd.textContent = value;
        return [dt, dd];
      }),
    );
  }

  private renderStatus(): void {
    const s = this.session;
    const status: SessionStatus | 'none' = s?.status ?? 'none';
    const words: Record<SessionStatus | 'none', string> = {
      none: 'no model',
      building: 'starting…',
      ready: s?.isLoaded ? 'loaded' : 'ready',
      running: 'training',
      paused: 'paused',
      done: 'done',
      error: 'error',
      disposed: '',
    };
    const el = $('stat-status');
    el.textContent = words[status];
    el.dataset.status = status;
    const start = $<HTMLButtonElement>('start');
    start.textContent = status === 'running' ? 'Pause' : status === 'paused' ? 'Resume' : 'Start';
    start.disabled = !['ready', 'running', 'paused', 'done'].includes(status);
    $<HTMLButtonElement>('step').disabled = !['ready', 'paused', 'done'].includes(status);
    $<HTMLButtonElement>('download').disabled = !s?.trainer || status === 'building';
    this.renderStats();
  }

  private renderDevice(): void {
    const trainer = this.session?.trainer;
    const backend = $('backend-badge');
    const adapter = $('adapter');
    if (!trainer) {
      backend.textContent = '…';
      adapter.textContent = this.probe?.available ? this.probe.adapterName : this.probe ? 'no WebGPU' : 'probing WebGPU…';
      return;
    }
    backend.textContent = trainer.backend === 'gpu' ? 'GPU' : 'CPU';
    backend.dataset.backend = trainer.backend;
    adapter.textContent = this.session?.adapterName ?? trainer.deviceName;
    // A CPU-emulated adapter (SwiftShader, llvmpipe, ...) is right for correctness, not for speed: say so.
    const kind = $('adapter-kind');
    kind.hidden = !this.session?.adapterIsSoftware;
    kind.textContent = 'software adapter';
  }

  private renderArchitecture(): void {
    const s = this.session;
    if (!s) return;
    $('architecture').textContent = `${s.spec.layers.join(' → ')} · ${s.spec.activation} + softmax · ${parameterCount(s.spec)} parameters`;
  }

  private renderLegend(): void {
    const s = this.session;
    if (!s) return;
    $('legend').replaceChildren(...legendItems(s.classNames));
  }

  private renderMatrix(): void {
    const s = this.session;
    const which = $<HTMLSelectElement>('matrix-set').value === 'train' ? 'train' : 'test';
    const evaluation: Evaluation | null | undefined = s?.evaluations[which];
    const host = $('matrix');
    if (!s || !evaluation) {
      host.replaceChildren();
      return;
    }
    host.innerHTML = confusionMatrixSvg(evaluation, s.classNames, { title: which === 'test' ? 'Test set' : 'Training set' });
  }

  private setDataError(message: string | null): void {
    this.dataError = message;
    const el = $('data-error');
    el.hidden = message === null;
    el.textContent = message ?? '';
  }

  private notice(message: string, kind: NoticeKind): void {
    if (this.notices.some((n) => n.message === message)) return;
    this.notices.push({ message, kind });
    this.renderNotices();
  }

  private clearNotices(kind: NoticeKind): void {
    for (let i = this.notices.length - 1; i >= 0; i--) if (this.notices[i].kind === kind) this.notices.splice(i, 1);
    this.renderNotices();
  }

  private renderNotices(): void {
    $('notices').replaceChildren(
      ...this.notices.map((n, i) => {
        const el = document.createElement('div');
        el.className = `notice ${n.kind}`;
        el.dataset.kind = n.kind;
        const text = document.createElement('span');
        text.textContent = n.message;
        const close = document.createElement('button');
        close.type = 'button';
        close.textContent = '×';
        close.title = 'dismiss';
        close.addEventListener('click', () => {
          this.notices.splice(i, 1);
          this.renderNotices();
        });
        el.append(text, close);
        return el;
      }),
    );
  }

  /** Measures the longest gap between animation frames while training runs. */
  private watchFrames(): void {
    const frame = (t: number) => {
      if (this.session?.status === 'running' && Number.isFinite(this.lastFrame)) this.maxFrameGapMs = Math.max(this.maxFrameGapMs, t - this.lastFrame);
      this.lastFrame = t;
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  /** Numbers for the end-to-end tests (window.__wgtrain.state()). */
  state(): Record<string, unknown> {
    const s = this.session;
    const trainer = s?.trainer ?? null;
    const evaluation = (e: Evaluation | null | undefined) => (e ? { size: e.size, loss: e.loss, accuracy: e.accuracy, confusion: e.confusion, precision: e.precision, recall: e.recall } : null);
    return {
      status: s?.status ?? 'none',
      webgpu: this.probe,
      gpuDevicesOpened: this.gpu.devicesOpened,
      backend: trainer?.backend ?? null,
      adapterName: s?.adapterName ?? null,
      adapterIsSoftware: s?.adapterIsSoftware ?? null,
      deviceName: trainer?.deviceName ?? null,
      layers: s?.spec.layers ?? null,
      activation: s?.spec.activation ?? null,
      data: s ? { name: s.split.train.name, trainSize: s.split.train.size, testSize: s.split.test.size, inputs: s.split.train.inputs, classes: s.classNames.length } : null,
      epochsDone: s?.epochsDone ?? 0,
      target: s?.target ?? 0,
      chunk: s?.chunk ?? 0,
      epochsPerSecond: s?.epochsPerSecond ?? NaN,
      viewMs: s?.viewMs ?? NaN,
      viewRefreshes: s?.viewRefreshes ?? 0,
      historyLength: s?.history.length ?? 0,
      firstRecord: s && s.history.length > 0 ? { epoch: s.history.epoch[0], trainLoss: s.history.trainLoss[0], testLoss: s.history.testLoss[0] } : null,
      lastRecord: s?.history.last() ?? null,
      chartPoints: this.curves.points,
      train: evaluation(s?.evaluations.train),
      test: evaluation(s?.evaluations.test),
      boundary: s?.grid ? { width: s.grid.width, height: s.grid.height, computed: s.boundaryProbs !== null } : null,
      maxFrameGapMs: this.maxFrameGapMs,
      notices: this.notices.map((n) => ({ ...n })),
      dataError: this.dataError,
      sweep: this.sweep.state(),
    };
  }
}

function isModelFile(text: string): boolean {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && (value as { format?: unknown }).format === MODEL_FORMAT;
  } catch {
    return false;
  }
}

declare global {
  interface Window {
    /** The test hook: numbers the end-to-end tests read. */
    __wgtrain?: { state(): Record<string, unknown>; ready: Promise<void> };
  }
}

const app = new App();
window.__wgtrain = { state: () => app.state(), ready: app.start() };
