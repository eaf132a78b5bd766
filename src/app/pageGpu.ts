// The page's one WebGPU device. Every training session and sweep borrows it (GpuContext.borrow), so the
// page compiles each pipeline once, not once per run; a lost device is replaced by a fresh one at the
// next request.

import { acquireBrowserGpu, type GpuContext } from '../gpu/device.ts';

export class PageGpu {
  private context: GpuContext | null = null;
  private opening: Promise<GpuContext> | null = null;
  /** Devices requested so far (1 for a page whose device was never lost). */
  devicesOpened = 0;

  constructor(private readonly open: () => Promise<GpuContext> = acquireBrowserGpu) {}

  /** A borrow of the page's device, opening one first if there is none or it was lost. */
  async acquire(): Promise<GpuContext> {
    return (await this.device()).borrow();
  }

  /** The adapter's name, or the reason there is no WebGPU (NoGpuError and others are thrown). */
  async adapterName(): Promise<string> {
    return (await this.device()).adapterName;
  }

  /** Destroys the device (its borrows then report it lost); the next request opens a new one. */
  close(): void {
    this.context?.destroy();
    this.context = null;
  }

  private async device(): Promise<GpuContext> {
    if (this.context && this.context.lostError === null) return this.context;
    // Two requests at once (a sweep and a session) share one opening.
    this.opening ??= this.openFresh().finally(() => (this.opening = null));
    return this.opening;
  }

  private async openFresh(): Promise<GpuContext> {
    this.context?.destroy();
    this.context = null;
    this.devicesOpened++;
    this.context = await this.open();
    return this.context;
  }
}
