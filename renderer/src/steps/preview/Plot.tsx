import createPlotlyComponent from 'react-plotly.js/factory';
import Plotly from 'plotly.js-cartesian-dist-min';

/** react-plotly bound to the cartesian partial bundle (heatmaps, scatter, bars) — a fraction of full plotly. */
export const Plot = createPlotlyComponent(Plotly);
export { Plotly };
