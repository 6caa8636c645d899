// The parts of chart.js the dashboard draws with (bar charts, category and linear axes, tooltip,
// legend), registered once. Only the dashboard imports this, dynamically, so chart.js is a chunk
// of its own that a grid worker's phone never downloads.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

export { Chart };
