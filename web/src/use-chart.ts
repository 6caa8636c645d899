// A chart.js chart on a canvas, for the pages that draw one (dashboard, fund): chart.js is a
// separate chunk, fetched once, only by a page that draws; the chart is rebuilt when its
// configuration changes and destroyed with the page.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Chart, ChartConfiguration, ChartType } from 'chart.js';
import type * as Charts from './bar-chart.ts';

let chartModule: Promise<typeof Charts> | undefined;
function loadCharts() {
  chartModule ??= import('./bar-chart.ts');
  return chartModule;
}

/** The canvas to draw on, and whether chart.js could not be loaded (the page then shows its table). */
export function useChart<T extends ChartType>(config: ChartConfiguration<T>) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let chart: Chart<T> | undefined;
    let live = true;
    loadCharts().then(
      (m) => {
        if (live && canvas.current) chart = new m.Chart(canvas.current, config);
      },
      () => live && setFailed(true),
    );
    return () => {
      live = false;
      chart?.destroy();
    };
  }, [config]);
  return { canvas, failed };
}
