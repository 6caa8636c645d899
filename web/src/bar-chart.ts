// The parts of chart.js the dashboard and the fund page draw with (bar and line charts, category
// and linear axes, tooltip, legend), registered once. Only those pages import this, dynamically,
// so chart.js is a chunk of its own that a grid worker's phone never downloads.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';

Chart.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Tooltip,
  Legend,
);

export { Chart };
