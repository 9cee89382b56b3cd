/** The side of the drawing canvas over the side of a digit: each digit pixel is a SCALE × SCALE block. */
export const SCALE = 10;
const SIDE = 28;

/**
 * A canvas to draw a digit on with the mouse, finger or pen: white ink on
 * black, as MNIST stores its digits (1 = ink). {@link pixels} averages each
 * SCALE × SCALE block into one of the 28 × 28 values the model takes.
 */
export class DrawPad {
  private drawing = false;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly onDrawn: () => void) {
    canvas.width = canvas.height = SIDE * SCALE;
    this.clear();
    canvas.addEventListener('pointerdown', (event) => {
      this.drawing = true;
      this.stroke(event, true);
    });
    canvas.addEventListener('pointermove', (event) => {
      if (this.drawing) this.stroke(event, false);
    });
    const end = (): void => {
      if (!this.drawing) return;
      this.drawing = false;
      this.onDrawn();
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointerleave', end);
  }

  clear(): void {
    const context = this.context();
    context.fillStyle = 'black';
    context.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** The drawing as 784 values in [0, 1], row-major (28 × 28). */
  pixels(): Float32Array {
    const { data } = this.context().getImageData(0, 0, SIDE * SCALE, SIDE * SCALE);
    const out = new Float32Array(SIDE * SIDE);
    for (let row = 0; row < SIDE * SCALE; row++) {
      for (let col = 0; col < SIDE * SCALE; col++) {
        // The red channel: the ink is white, so any channel is the grey level.
        out[Math.floor(row / SCALE) * SIDE + Math.floor(col / SCALE)] += data[4 * (row * SIDE * SCALE + col)] / 255 / (SCALE * SCALE);
      }
    }
    return out;
  }

  private stroke(event: PointerEvent, start: boolean): void {
    const context = this.context();
    const box = this.canvas.getBoundingClientRect();
    const px = ((event.clientX - box.left) * this.canvas.width) / box.width;
    const py = ((event.clientY - box.top) * this.canvas.height) / box.height;
    context.strokeStyle = context.fillStyle = 'white';
    context.lineWidth = 2 * SCALE;
    context.lineCap = context.lineJoin = 'round';
    if (start) {
      // Canvas drops zero-length segments: a tap draws its dot by hand.
      context.beginPath();
      context.arc(px, py, SCALE, 0, 2 * Math.PI);
      context.fill();
      context.beginPath();
      context.moveTo(px, py);
      return;
    }
    context.lineTo(px, py);
    context.stroke();
  }

  private context(): CanvasRenderingContext2D {
    const context = this.canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error('DrawPad: no 2D context');
    return context;
  }
}
