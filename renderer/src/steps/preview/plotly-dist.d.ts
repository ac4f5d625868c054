// The cartesian partial bundle ships no types of its own; it is the plotly.js API restricted to
// cartesian traces (heatmap, scatter, bar, …), so the plotly.js types describe it.
declare module 'plotly.js-cartesian-dist-min' {
  import Plotly from 'plotly.js';
  export default Plotly;
}
