import type { TrainingProgress } from './train-loop.js';

const PADDING = 32;

/**
 * The live chart: loss (left axis, blue) and batch accuracy (right axis,
 * 0–100 %, orange) against the step, redrawn from all points at each report.
 */
export class LossChart {
  private readonly points: TrainingProgress[] = [];

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.draw();
  }

  add(point: TrainingProgress): void {
    this.points.push(point);
    this.draw();
  }

  clear(): void {
    this.points.length = 0;
    this.draw();
  }

  private draw(): void {
    const context = this.canvas.getContext('2d');
    if (!context) return;
    const { width, height } = this.canvas;
    context.clearRect(0, 0, width, height);
    context.strokeStyle = '#999';
    context.strokeRect(PADDING, 8, width - 2 * PADDING, height - PADDING - 8);
    context.fillStyle = '#333';
    context.font = '11px sans-serif';
    if (this.points.length === 0) {
      context.fillText('loss and accuracy appear here while training', PADDING + 8, height / 2);
      return;
    }
    const lastStep = this.points[this.points.length - 1].step;
    const maxLoss = Math.max(...this.points.map((p) => p.loss), 1e-6);
    const x = (step: number): number => PADDING + ((width - 2 * PADDING) * step) / Math.max(lastStep, 1);
    const y = (fraction: number): number => height - PADDING - (height - PADDING - 8) * fraction;
    const line = (color: string, value: (p: TrainingProgress) => number): void => {
      context.strokeStyle = color;
      context.lineWidth = 2;
      context.beginPath();
      this.points.forEach((p, i) => (i === 0 ? context.moveTo(x(p.step), y(value(p))) : context.lineTo(x(p.step), y(value(p)))));
      context.stroke();
    };
    line('#1f77b4', (p) => p.loss / maxLoss);
    line('#ff7f0e', (p) => p.accuracy);
    context.fillStyle = '#1f77b4';
    context.fillText(maxLoss.toFixed(2), 2, 16);
    context.fillText('loss', 2, 30);
    context.fillStyle = '#ff7f0e';
    context.fillText('100%', width - PADDING + 2, 16);
    context.fillText('acc.', width - PADDING + 2, 30);
    context.fillStyle = '#333';
    context.fillText(`step ${lastStep}`, width - PADDING - 50, height - 12);
  }
}
