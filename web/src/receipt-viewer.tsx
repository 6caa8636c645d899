// A receipt image a reviewer can read: zoom (buttons, wheel, pinch, keys), rotate a quarter
// turn at a time, and pan by dragging. The image is laid out by hand (fit to the frame, then the
// zoom) so a rotated photo still fits and nothing ever widens the page.
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from './i18n.ts';
import type { ReceiptLink } from './types.ts';
import './receipt-viewer.css';

const MIN_ZOOM = 1;
const MAX_ZOOM = 8;
const STEP = 1.25;

interface View {
  /** 1 = the whole image fits the frame. */
  readonly zoom: number;
  /** Quarter turns clockwise, 0-3. */
  readonly turns: number;
  /** Offset of the image's centre from the frame's, in CSS pixels. */
  readonly x: number;
  readonly y: number;
}

const initial: View = { zoom: 1, turns: 0, x: 0, y: 0 };

interface Size {
  readonly width: number;
  readonly height: number;
}

/** The scale at which the (rotated) image just fits the frame. */
function fitScale(natural: Size, frame: Size, turns: number): number {
  if (!natural.width || !natural.height || !frame.width || !frame.height) return 1;
  const [w, h] = turns % 2 ? [natural.height, natural.width] : [natural.width, natural.height];
  return Math.min(frame.width / w, frame.height / h);
}

/** Keeps the image over the frame: it may not be dragged further than its overhang. */
function clamp(view: View, natural: Size, frame: Size): View {
  const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, view.zoom));
  const scale = fitScale(natural, frame, view.turns) * zoom;
  const [w, h] =
    view.turns % 2
      ? [natural.height * scale, natural.width * scale]
      : [natural.width * scale, natural.height * scale];
  const maxX = Math.max(0, (w - frame.width) / 2);
  const maxY = Math.max(0, (h - frame.height) / 2);
  return {
    zoom,
    turns: view.turns,
    x: Math.min(maxX, Math.max(-maxX, view.x)),
    y: Math.min(maxY, Math.max(-maxY, view.y)),
  };
}

/** Zooms by `factor` keeping the point `at` (relative to the frame's centre) where it is. */
function zoomAt(view: View, factor: number, at: { x: number; y: number }): View {
  const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, view.zoom * factor));
  const k = zoom / view.zoom;
  return { ...view, zoom, x: at.x - (at.x - view.x) * k, y: at.y - (at.y - view.y) * k };
}

export function ReceiptViewer({ url, alt }: { url: string; alt: string }) {
  const frameRef = useRef<HTMLDivElement>(null);
  const [natural, setNatural] = useState<Size>({ width: 0, height: 0 });
  const [frame, setFrame] = useState<Size>({ width: 0, height: 0 });
  const [view, setViewRaw] = useState<View>(initial);
  const pointers = useRef(new Map<number, { x: number; y: number }>());
  const gesture = useRef<{ distance: number } | undefined>(undefined);

  const setView = (next: (v: View) => View) => setViewRaw((v) => clamp(next(v), natural, frame));

  useEffect(() => {
    const el = frameRef.current;
    if (!el) return;
    const measure = () => setFrame({ width: el.clientWidth, height: el.clientHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  useEffect(() => {
    setViewRaw(initial);
  }, [url]);

  /** A point of the event relative to the frame's centre. */
  const fromCentre = (clientX: number, clientY: number) => {
    const r = frameRef.current?.getBoundingClientRect();
    return r ? { x: clientX - r.left - r.width / 2, y: clientY - r.top - r.height / 2 } : { x: 0, y: 0 };
  };

  const onWheel = (e: WheelEvent) => {
    e.preventDefault();
    // Trackpad pinches arrive as wheel events with ctrlKey and small deltas; both zoom.
    const factor = Math.exp(-e.deltaY * (e.ctrlKey ? 0.01 : 0.0015));
    const at = fromCentre(e.clientX, e.clientY);
    setView((v) => zoomAt(v, factor, at));
  };

  const onPointerDown = (e: PointerEvent) => {
    frameRef.current?.setPointerCapture(e.pointerId);
    pointers.current.set(e.pointerId, { x: e.clientX, y: e.clientY });
    gesture.current = undefined;
  };
  const onPointerMove = (e: PointerEvent) => {
    const before = pointers.current.get(e.pointerId);
    if (!before) return;
    const now = { x: e.clientX, y: e.clientY };
    pointers.current.set(e.pointerId, now);
    const all = [...pointers.current.values()];
    if (all.length >= 2) {
      const [a, b] = all as [{ x: number; y: number }, { x: number; y: number }];
      const distance = Math.hypot(a.x - b.x, a.y - b.y);
      const previous = gesture.current?.distance;
      gesture.current = { distance };
      if (previous && distance > 0) {
        const at = fromCentre((a.x + b.x) / 2, (a.y + b.y) / 2);
        setView((v) => zoomAt(v, distance / previous, at));
      }
      return;
    }
    setView((v) => ({ ...v, x: v.x + now.x - before.x, y: v.y + now.y - before.y }));
  };
  const onPointerEnd = (e: PointerEvent) => {
    pointers.current.delete(e.pointerId);
    gesture.current = undefined;
  };

  const zoomBy = (factor: number) => setView((v) => zoomAt(v, factor, { x: 0, y: 0 }));
  const rotate = () => setView((v) => ({ ...v, turns: (v.turns + 1) % 4, x: 0, y: 0, zoom: v.zoom }));
  const reset = () => setViewRaw(initial);

  const onKeyDown = (e: KeyboardEvent) => {
    const pan = 40;
    const actions: Record<string, () => void> = {
      '+': () => zoomBy(STEP),
      '=': () => zoomBy(STEP),
      '-': () => zoomBy(1 / STEP),
      r: rotate,
      R: rotate,
      '0': reset,
      ArrowLeft: () => setView((v) => ({ ...v, x: v.x + pan })),
      ArrowRight: () => setView((v) => ({ ...v, x: v.x - pan })),
      ArrowUp: () => setView((v) => ({ ...v, y: v.y + pan })),
      ArrowDown: () => setView((v) => ({ ...v, y: v.y - pan })),
    };
    const action = actions[e.key];
    if (!action) return;
    e.preventDefault();
    action();
  };

  const scale = fitScale(natural, frame, view.turns) * view.zoom;
  const zoomed = view.zoom > MIN_ZOOM + 1e-6;
  return (
    <div class="rv">
      <div class="rv-tools" role="toolbar" aria-label={t('viewer.tools')}>
        <button
          type="button"
          class="secondary"
          aria-label={t('viewer.zoomOut')}
          title={t('viewer.zoomOut')}
          disabled={!zoomed}
          onClick={() => zoomBy(1 / STEP)}
        >
          −
        </button>
        <output class="rv-zoom" aria-label={t('viewer.scale')} data-testid="viewer-zoom">
          {Math.round(view.zoom * 100)}%
        </output>
        <button
          type="button"
          class="secondary"
          aria-label={t('viewer.zoomIn')}
          title={t('viewer.zoomIn')}
          disabled={view.zoom >= MAX_ZOOM}
          onClick={() => zoomBy(STEP)}
        >
          +
        </button>
        <button
          type="button"
          class="secondary"
          aria-label={t('viewer.rotate')}
          title={t('viewer.rotate')}
          onClick={rotate}
        >
          ↻
        </button>
        <button type="button" class="secondary" onClick={reset}>
          {t('viewer.fit')}
        </button>
      </div>
      <div
        ref={frameRef}
        class={zoomed ? 'rv-frame zoomed' : 'rv-frame'}
        tabIndex={0}
        role="group"
        aria-label={t('viewer.frame', { alt })}
        onWheel={onWheel}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerEnd}
        onPointerCancel={onPointerEnd}
        onDblClick={(e) => {
          const at = fromCentre(e.clientX, e.clientY);
          setView((v) => (v.zoom > MIN_ZOOM ? initial : zoomAt(v, 2.5, at)));
        }}
        onKeyDown={onKeyDown}
      >
        <img
          src={url}
          alt={alt}
          class="rv-img"
          data-testid="receipt-image"
          draggable={false}
          onLoad={(e) =>
            setNatural({ width: e.currentTarget.naturalWidth, height: e.currentTarget.naturalHeight })
          }
          style={{
            width: `${natural.width || 1}px`,
            height: `${natural.height || 1}px`,
            // Right to left: scale to fit and zoom, turn, then move by the pan.
            transform: `translate(-50%, -50%) translate(${view.x}px, ${view.y}px) rotate(${view.turns * 90}deg) scale(${scale})`,
            visibility: natural.width ? 'visible' : 'hidden',
          }}
        />
      </div>
    </div>
  );
}

/** One receipt of a claim: a PDF inline, an image in the viewer, and a link to open it. */
export function ReceiptPreview({ link, n }: { link: ReceiptLink; n: number }) {
  const alt = t('claim.receiptAlt', { n });
  return (
    <figure>
      {link.contentType === 'application/pdf' ? (
        <object data={link.url} type="application/pdf" class="pdf-frame" aria-label={alt}>
          <a href={link.url} target="_blank" rel="noopener noreferrer">
            {alt}
          </a>
        </object>
      ) : (
        <ReceiptViewer url={link.url} alt={alt} />
      )}
      <figcaption>
        <a href={link.url} target="_blank" rel="noopener noreferrer">
          {alt} · {t('claim.receiptOpen')}
        </a>
      </figcaption>
    </figure>
  );
}
