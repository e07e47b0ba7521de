// The Konva stage: image tiles, the mask overlay canvas, and the active tool's marks (polygon
// vertices, SAM points and boxes, brush cursor). Pointer events go to the page through the host div.
import { forwardRef } from 'react';
import { Stage, Layer, Group, Image as KImage, Line, Circle, Rect } from 'react-konva';
import type Konva from 'konva';
import type { SamPoint } from '../../../app/api/apiTypes.js';
import type { Point } from './labelDocument.js';
import type { View } from './overlayRenderer.js';
import type { ToolId } from './tools/tool.js';

type Box = [number, number, number, number];

export interface StageMarks {
  tool: ToolId;
  brush: number;
  classColor: string;
  polygon: Point[];
  polyMode: 'fill' | 'cut';
  samPoints: SamPoint[];
  samBox: Box | null;
  dragBox: Box | null;
}

export interface StageRefs {
  maskLayer: React.RefObject<Konva.Layer | null>;
  toolLayer: React.RefObject<Konva.Layer | null>;
  cursor: React.RefObject<Konva.Circle | null>;
}

export const AnnotatorStage = forwardRef<
  HTMLDivElement,
  {
    size: { width: number; height: number };
    view: View;
    tiles: React.ReactNode;
    overlay: HTMLCanvasElement;
    marks: StageMarks;
    refs: StageRefs;
    coords: React.RefObject<HTMLSpanElement | null>;
    hostProps: React.HTMLAttributes<HTMLDivElement> & Record<`data-${string}`, string | number>;
    /** What the overlay shows when it is not the editable mask (the review's prediction). */
    badge?: string | null;
  }
>(function AnnotatorStage({ size, view, tiles, overlay, marks, refs, coords, hostProps, badge }, ref) {
  const { tool, polygon, samBox, dragBox } = marks;
  return (
    <div className="stage-host" ref={ref} {...hostProps}>
      <Stage width={size.width} height={size.height} listening={false}>
        <Layer imageSmoothingEnabled={view.scale < 1} listening={false}>
          <Group x={view.tx} y={view.ty} scaleX={view.scale} scaleY={view.scale}>
            {tiles}
          </Group>
        </Layer>
        <Layer ref={refs.maskLayer} imageSmoothingEnabled={false} listening={false}>
          <KImage image={overlay} x={0} y={0} listening={false} />
        </Layer>
        <Layer ref={refs.toolLayer} listening={false}>
          <Group x={view.tx} y={view.ty} scaleX={view.scale} scaleY={view.scale}>
            {polygon.length > 0 && (
              <Line points={polygon.flatMap((p) => [p.x, p.y])} stroke={marks.polyMode === 'fill' ? marks.classColor : '#ff5252'} strokeWidth={1.5} strokeScaleEnabled={false} closed={false} dash={[6, 4]} />
            )}
            {polygon.map((p, i) => (
              <Circle key={i} x={p.x} y={p.y} radius={(i === 0 ? 5 : 3.5) / view.scale} fill={i === 0 ? '#fff' : marks.classColor} stroke="#000" strokeWidth={1} strokeScaleEnabled={false} />
            ))}
            {samBox && <Rect x={samBox[0]} y={samBox[1]} width={samBox[2] - samBox[0]} height={samBox[3] - samBox[1]} stroke="#40c4ff" strokeWidth={2} strokeScaleEnabled={false} />}
            {dragBox && <Rect x={dragBox[0]} y={dragBox[1]} width={dragBox[2] - dragBox[0]} height={dragBox[3] - dragBox[1]} stroke="#40c4ff" strokeWidth={1.5} dash={[5, 4]} strokeScaleEnabled={false} />}
            {marks.samPoints.map((p, i) => (
              <Circle key={i} x={p.x} y={p.y} radius={6 / view.scale} fill={p.label ? '#00e676' : '#ff1744'} stroke="#fff" strokeWidth={1.5} strokeScaleEnabled={false} />
            ))}
            {(tool === 'brush' || tool === 'eraser') && (
              <Circle ref={refs.cursor} x={-1000} y={-1000} radius={marks.brush / 2} stroke={tool === 'eraser' ? '#ff8a80' : '#ffffff'} strokeWidth={1.2} strokeScaleEnabled={false} dash={tool === 'eraser' ? [4, 3] : undefined} shadowColor="#000" shadowBlur={2} />
            )}
          </Group>
        </Layer>
      </Stage>
      {badge && (
        <span className="stage-badge" data-testid="stage-badge">
          {badge}
        </span>
      )}
      <span className="coords" ref={coords} />
      <span className="zoom-badge">{Math.round(view.scale * 100)}%</span>
    </div>
  );
});
