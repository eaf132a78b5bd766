// Every GPU buffer is made here: labelled, counted while alive, and owned by one BufferOwner that destroys
// it explicitly (never left to the garbage collector). liveBufferCount() is what the leak test counts.

let live = 0;

/** Buffers created through a BufferOwner and not yet destroyed, over every device. */
export function liveBufferCount(): number {
  return live;
}

/** Storage and uniform bindings need sizes that are multiples of 4; a few kernels read whole vec4s. */
const SIZE_GRANULE = 16;

export function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

/** The buffers of one owner (a trainer, one evaluate() call); destroyAll() frees every one still alive. */
export class BufferOwner {
  private readonly buffers = new Set<GPUBuffer>();

  constructor(
    private readonly device: GPUDevice,
    /** Put in front of every label: "GpuTrainer#3". */
    readonly prefix: string,
  ) {}

  /** A buffer of at least `bytes` bytes (rounded up to 16), filled with `contents` when given. */
  create(label: string, bytes: number, usage: GPUBufferUsageFlags, contents?: ArrayBufferView): GPUBuffer {
    const size = Math.max(SIZE_GRANULE, roundUp(bytes, SIZE_GRANULE));
    const buffer = this.device.createBuffer({ label: `${this.prefix} ${label}`, size, usage, mappedAtCreation: contents !== undefined });
    if (contents) {
      new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(contents.buffer, contents.byteOffset, contents.byteLength));
      buffer.unmap();
    }
    this.buffers.add(buffer);
    live++;
    return buffer;
  }

  destroy(buffer: GPUBuffer): void {
    if (!this.buffers.delete(buffer)) return;
    buffer.destroy();
    live--;
  }

  destroyAll(): void {
    for (const buffer of [...this.buffers]) this.destroy(buffer);
  }

  /** Buffers of this owner still alive. */
  get count(): number {
    return this.buffers.size;
  }
}

/** Builds a uniform record field by field (u32 and f32, 4 bytes each, in WGSL declaration order). */
export class UniformRecord {
  private readonly view = new DataView(new ArrayBuffer(1024) as ArrayBuffer);
  private offset = 0;

  u32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`uniform u32 field ${this.offset / 4}: ${value} is not a u32`);
    this.view.setUint32(this.offset, value, true);
    this.offset += 4;
    return this;
  }

  f32(value: number): this {
    this.view.setFloat32(this.offset, value, true);
    this.offset += 4;
    return this;
  }

  /** Zero words up to the next multiple of 16 bytes (where a WGSL struct or array member starts). */
  align16(): this {
    while (this.offset % 16 !== 0) this.u32(0);
    return this;
  }

  /** The fields written so far, padded to 16 bytes (a WGSL struct's size in the uniform address space). */
  get data(): Uint8Array<ArrayBuffer> {
    return new Uint8Array(this.view.buffer, 0, Math.max(SIZE_GRANULE, roundUp(this.offset, SIZE_GRANULE)));
  }
}

/**
 * Many small uniform records written once into one buffer, each in a slot aligned to the device's
 * minUniformBufferOffsetAlignment: add() every record, then finish() once, then bind slots.
 */
export class UniformArena {
  private readonly records: Uint8Array[] = [];
  private buffer: GPUBuffer | null = null;
  private stride = 0;

  constructor(
    private readonly owner: BufferOwner,
    private readonly label: string,
    private readonly alignment: number,
  ) {}

  /** Adds a record; returns its slot. */
  add(record: UniformRecord): number {
    if (this.buffer) throw new Error(`${this.label}: add() after finish()`);
    this.records.push(record.data.slice());
    return this.records.length - 1;
  }

  finish(): void {
    this.stride = roundUp(Math.max(SIZE_GRANULE, ...this.records.map((r) => r.byteLength)), this.alignment);
    const bytes = new Uint8Array(Math.max(1, this.records.length) * this.stride);
    this.records.forEach((r, i) => bytes.set(r, i * this.stride));
    this.buffer = this.owner.create(this.label, bytes.byteLength, GPUBufferUsage.UNIFORM, bytes);
  }

  binding(slot: number): GPUBufferBinding {
    if (!this.buffer) throw new Error(`${this.label}: binding() before finish()`);
    return { buffer: this.buffer, offset: slot * this.stride, size: this.records[slot].byteLength };
  }
}
