import { formatShape, ValueError, type Tensor } from '@fathom/core';
import { GraphNode } from './graph-node.js';

/** Options of {@link toDot}. */
export interface DotOptions {
  /** Names for leaf tensors (e.g. a model's named parameters), shown instead of "leaf". */
  readonly names?: ReadonlyMap<Tensor, string> | Readonly<Record<string, Tensor>>;
  /** Graphviz rank direction: top to bottom (default) or left to right. */
  readonly direction?: 'TB' | 'LR';
}

function nameLookup(names: DotOptions['names']): (t: Tensor) => string | undefined {
  if (!names) return () => undefined;
  if (names instanceof Map) return (t) => names.get(t);
  const byTensor = new Map<Tensor, string>(Object.entries(names).map(([name, t]) => [t as Tensor, name]));
  return (t) => byTensor.get(t);
}

const quote = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

/**
 * Graphviz DOT text of the graph that made `t`: one box per recorded op
 * (its name and output shape), one ellipse per leaf that requires grad (its
 * name when given, its shape), edges in the direction data flows.
 *
 * ```ts
 * console.log(toDot(loss, { names: Object.fromEntries(model.namedParameters()) }));
 * ```
 */
export function toDot(t: Tensor, options: DotOptions = {}): string {
  const root = t.gradFn;
  if (!(root instanceof GraphNode)) {
    throw new ValueError(`toDot: the tensor (made by '${t.madeBy}') has no recorded graph; did an input require grad?`);
  }
  const nameOf = nameLookup(options.names);
  const ids = new Map<object, string>();
  const id = (key: object, prefix: string): string => {
    let found = ids.get(key);
    if (!found) {
      found = `${prefix}${ids.size}`;
      ids.set(key, found);
    }
    return found;
  };
  const lines = [
    'digraph fathom {',
    `  rankdir=${options.direction ?? 'TB'};`,
    '  node [fontname="Helvetica", fontsize=11];',
    '  edge [arrowsize=0.7];',
  ];
  const seen = new Set<GraphNode>();
  const stack = [root];
  seen.add(root);
  while (stack.length > 0) {
    const node = stack.pop()!;
    const nodeId = id(node, 'op');
    const shape = formatShape(node.outputShape);
    lines.push(`  ${nodeId} [shape=box, style="rounded,filled", fillcolor="${node === root ? '#ffe0b2' : '#e3f2fd'}", label=${quote(`${node.op}\n${shape}`)}];`);
    node.inputs.forEach((input, i) => {
      if (!node.needsGrad[i]) return;
      const inputNode = node.inputNodes[i];
      if (inputNode) {
        lines.push(`  ${id(inputNode, 'op')} -> ${nodeId};`);
        if (!seen.has(inputNode)) {
          seen.add(inputNode);
          stack.push(inputNode);
        }
      } else {
        const leafId = id(input, 'leaf');
        if (!lines.some((line) => line.startsWith(`  ${leafId} [`))) {
          const label = `${nameOf(input) ?? 'leaf'}\n${formatShape(input.shape)}`;
          lines.push(`  ${leafId} [shape=ellipse, style=filled, fillcolor="#c8e6c9", label=${quote(label)}];`);
        }
        lines.push(`  ${leafId} -> ${nodeId};`);
      }
    });
  }
  lines.push('}');
  return lines.join('\n');
}

/**
 * The graph behind `t` (or DOT text) rendered to SVG by Graphviz compiled to
 * WebAssembly (`@viz-js/viz`): no system Graphviz needed, in Node or a browser.
 *
 * ```ts
 * await writeFile('graph.svg', await toSvg(loss));
 * ```
 */
export async function toSvg(graph: Tensor | string, options: DotOptions = {}): Promise<string> {
  const dot = typeof graph === 'string' ? graph : toDot(graph, options);
  // Loaded on first use: Graphviz compiled to WebAssembly is ~1.5 MB, which a
  // bundle that never draws a graph should not carry (nor parse on startup).
  const { instance } = await import('@viz-js/viz');
  const viz = await instance();
  return viz.renderString(dot, { format: 'svg' });
}
