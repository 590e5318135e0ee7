// The graph library the dashboard's topology view (static/topology.js) draws with:
// Cytoscape.js and its ELK layout adapter (ELK's layered algorithm, which lays out
// compound nodes -- one box per region -- with the edges between them).
import cytoscape from 'cytoscape';
import cytoscapeElk from 'cytoscape-elk';

cytoscape.use(cytoscapeElk);
window.cytoscape = cytoscape;
