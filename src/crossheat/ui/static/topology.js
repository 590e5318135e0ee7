/*
 * The stack's topology: one box per region, each resource a node coloured by its status,
 * the dependencies between them, and each IPsec pair drawn once as a tunnel between two
 * region boxes with its status. Drawn by Cytoscape.js with ELK's layered layout (the
 * bundle static/vendor/cytoscape-elk.min.js must be loaded first).
 *
 *   const view = window.crossheatTopology.mount(element, {dataUrl, streamUrl});
 *   await view.ready;     // drawn (layout done)
 *   view.close();         // stop listening
 *
 * The topology JSON is fetched once; after that the page listens to the stream
 * (EventSource: events `resource`, `tunnel`, `stack`, `event`) and only restyles what
 * changed, in one batch per animation frame: the layout runs once (again only if a
 * resource the JSON did not have appears). Every event is also dispatched on `element`
 * as a DOM CustomEvent `topology:<type>` (detail: its data) for the rest of the page.
 *
 * For screen readers (and tests): the element gets role="img" and an aria-label that
 * sums the picture up, and a visually hidden list `#topology-summary` follows it, one
 * `li[data-resource][data-status]` per resource and `li[data-tunnel][data-status]` per
 * tunnel, kept up to date.
 */
(function () {
  'use strict';

  var COLOURS = {
    complete: '#2e7d32',
    progress: '#1565c0',
    failed: '#c62828',
    other: '#757575',
  };

  function statusClass(status) {
    if (!status) return 'other';
    if (/_COMPLETE$/.test(status)) return 'complete';
    if (/_IN_PROGRESS$/.test(status)) return 'progress';
    if (/_FAILED$/.test(status)) return 'failed';
    return 'other';
  }

  function tunnelClass(status) {
    if (status === 'ACTIVE') return 'complete';
    if (status === 'DOWN' || status === 'ERROR') return 'failed';
    if (status && /^PENDING/.test(status)) return 'progress';
    return 'other';
  }

  function regionId(name) { return 'region:' + name; }
  function resourceId(name) { return 'resource:' + name; }
  function tunnelId(name) { return 'tunnel:' + name; }

  var STYLE = [
    {
      selector: 'node.region',
      style: {
        shape: 'round-rectangle',
        'background-color': '#f5f7fa',
        'border-color': '#90a4ae',
        'border-width': 2,
        label: 'data(label)',
        'text-valign': 'top',
        'text-halign': 'center',
        'text-margin-y': -4,
        'font-size': 16,
        'font-weight': 'bold',
        color: '#263238',
        padding: 16,
      },
    },
    {
      selector: 'node.resource',
      style: {
        shape: 'round-rectangle',
        width: 150,
        height: 34,
        'background-color': COLOURS.other,
        'border-width': 0,
        label: 'data(name)',
        color: '#ffffff',
        'font-size': 11,
        'text-valign': 'center',
        'text-halign': 'center',
        'text-wrap': 'ellipsis',
        'text-max-width': 140,
        'min-zoomed-font-size': 6, // no labels when too small to read (faster too)
      },
    },
    { selector: 'node.resource.complete', style: { 'background-color': COLOURS.complete } },
    {
      selector: 'node.resource.progress',
      style: {
        'background-color': COLOURS.progress,
        'border-width': 3,
        'border-style': 'dashed',
        'border-color': '#0d47a1',
      },
    },
    {
      selector: 'node.resource.failed',
      style: { 'background-color': COLOURS.failed, 'border-width': 3, 'border-color': '#7f0000' },
    },
    {
      selector: 'edge.link',
      style: {
        width: 1.5,
        'line-color': '#b0bec5',
        'target-arrow-color': '#b0bec5',
        'target-arrow-shape': 'triangle',
        'arrow-scale': 0.8,
        'curve-style': 'bezier',
      },
    },
    {
      selector: 'edge.link.cross',
      style: {
        width: 2,
        'line-style': 'dashed',
        'line-color': '#6d4c41',
        'target-arrow-color': '#6d4c41',
        opacity: 0.7,
      },
    },
    {
      selector: 'edge.tunnel',
      style: {
        width: 5,
        'curve-style': 'bezier',
        'control-point-step-size': 60,
        'line-color': COLOURS.other,
        label: 'data(label)',
        'font-size': 16,
        'font-weight': 'bold',
        color: '#263238',
        'text-background-color': '#ffffff',
        'text-background-opacity': 1,
        'text-background-padding': 3,
        'text-wrap': 'wrap',
        'text-max-width': 200,
        'z-index': 10,
      },
    },
    { selector: 'edge.tunnel.complete', style: { 'line-color': COLOURS.complete } },
    {
      selector: '.chosen',
      style: { 'underlay-color': '#ff8f00', 'underlay-opacity': 0.9, 'underlay-padding': 6 },
    },
    { selector: 'edge.tunnel.progress', style: { 'line-color': COLOURS.progress } },
    {
      selector: 'edge.tunnel.failed',
      style: { 'line-color': COLOURS.failed, 'line-style': 'dashed' },
    },
  ];

  var CLASSES = 'complete progress failed other';

  // ELK: the region boxes side by side (tunnels left to right), inside each box the
  // resources layered bottom-up along their dependencies (what others need on top).
  var ROOT_LAYOUT = {
    algorithm: 'layered',
    'elk.direction': 'RIGHT',
    'elk.spacing.nodeNode': 80,
    'elk.layered.spacing.nodeNodeBetweenLayers': 300, // room for a tunnel's label
    'elk.padding': '[top=30,left=20,bottom=20,right=20]',
  };
  var REGION_LAYOUT = {
    'elk.algorithm': 'layered',
    'elk.direction': 'UP',
    'elk.spacing.nodeNode': 16,
    'elk.layered.spacing.nodeNodeBetweenLayers': 36,
    'elk.padding': '[top=36,left=16,bottom=16,right=16]',
    'elk.aspectRatio': 1.2,
    'elk.layered.thoroughness': 1,
  };

  function visuallyHidden(el) {
    var s = el.style;
    s.position = 'absolute';
    s.width = '1px';
    s.height = '1px';
    s.margin = '-1px';
    s.padding = '0';
    s.overflow = 'hidden';
    s.clip = 'rect(0 0 0 0)';
    s.whiteSpace = 'nowrap';
    s.border = '0';
  }

  function Topology(element, options) {
    this.element = element;
    this.dataUrl = options.dataUrl;
    this.streamUrl = options.streamUrl;
    this.stack = {};
    this.resources = {}; // name -> {name, type, region, status, status_reason}
    this.tunnels = {}; // name -> {name, regions, status}
    this.pending = []; // [type, data] waiting for the next frame
    this.frame = null;
    this.source = null;
    this.closed = false;
    this.drawn = false; // the JSON drawn: stream events apply from then on
    this.items = {}; // summary <li> by 'resource:<name>' / 'tunnel:<name>'

    element.setAttribute('role', 'img');
    element.setAttribute('aria-label', 'Stack topology: loading');
    element.setAttribute('data-state', 'loading');

    var summary = document.getElementById('topology-summary');
    if (!summary) {
      summary = document.createElement('ul');
      summary.id = 'topology-summary';
      summary.className = 'visually-hidden';
      summary.setAttribute('aria-label', 'Resources and tunnels');
      visuallyHidden(summary);
      element.insertAdjacentElement('afterend', summary);
    }
    this.summary = summary;
    this.details = this.legend(element);
    this.selected = null; // ['resource' | 'tunnel', name]: what the details line tells
    this.canvas = document.createElement('div');
    this.canvas.className = 'topology-canvas';
    this.canvas.style.width = '100%';
    this.canvas.style.height = '100%';
    this.canvas.setAttribute('aria-hidden', 'true');
    element.appendChild(this.canvas);

    var self = this;
    // The stream first, then the JSON: the stream says every change from the moment it
    // opens, the JSON is at least as new, and what the stream said meanwhile waits
    // (this.pending) until the graph is drawn, then applies on top. The other way round,
    // what changed between the JSON and the stream's start would never show.
    this.listen();
    this.ready = this.load().then(
      function () {
        self.drawn = true;
        element.setAttribute('data-state', 'ready');
        if (self.pending.length) self.schedule();
        return self;
      },
      function (error) {
        self.close();
        element.setAttribute('data-state', 'error');
        element.setAttribute('aria-label', 'Stack topology: ' + error.message);
        var note = document.createElement('p');
        note.className = 'topology-error';
        note.setAttribute('role', 'alert');
        note.textContent = 'The topology could not be loaded: ' + error.message;
        element.appendChild(note);
        throw error;
      }
    );
  }

  Topology.prototype.load = function () {
    var self = this;
    return fetch(this.dataUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      })
      .then(function (data) { return self.draw(data); });
  };

  Topology.prototype.draw = function (data) {
    var self = this;
    this.stack = data.stack || {};
    var regions = {};
    var elements = [];
    (data.regions || []).forEach(function (region) {
      regions[region.name] = region;
    });
    (data.resources || []).forEach(function (resource) {
      if (resource.region && !regions[resource.region]) {
        regions[resource.region] = { name: resource.region, cloud: null };
      }
    });
    (data.tunnels || []).forEach(function (tunnel) {
      (tunnel.regions || []).forEach(function (name) {
        if (!regions[name]) regions[name] = { name: name, cloud: null };
      });
    });
    Object.keys(regions).forEach(function (name) {
      elements.push(self.regionElement(regions[name]));
    });
    (data.resources || []).forEach(function (resource) {
      self.resources[resource.name] = Object.assign({}, resource);
      elements.push(self.resourceElement(resource));
    });
    (data.links || []).forEach(function (link, index) {
      if (!self.resources[link.source] || !self.resources[link.target]) return;
      elements.push({
        group: 'edges',
        data: {
          id: 'link:' + index,
          source: resourceId(link.source),
          target: resourceId(link.target),
        },
        classes: link.cross_region ? 'link cross' : 'link',
      });
    });
    (data.tunnels || []).forEach(function (tunnel) {
      self.tunnels[tunnel.name] = Object.assign({}, tunnel);
      var ends = tunnel.regions || [];
      if (ends.length !== 2) return;
      elements.push({
        group: 'edges',
        data: {
          id: tunnelId(tunnel.name),
          source: regionId(ends[0]),
          target: regionId(ends[1]),
          name: tunnel.name,
          status: tunnel.status || '',
          label: self.tunnelLabel(tunnel),
        },
        classes: 'tunnel ' + tunnelClass(tunnel.status),
      });
    });

    this.cy = window.cytoscape({
      container: this.canvas,
      elements: elements,
      style: STYLE,
      minZoom: 0.1,
      maxZoom: 2.5,
      wheelSensitivity: 0.3,
      boxSelectionEnabled: false,
      autoungrabify: true,
      textureOnViewport: true,
      hideEdgesOnViewport: elements.length > 300,
    });
    this.renderSummary();
    this.watchSize();
    this.cy.on('tap', 'node.resource', function (e) { self.select('resource', e.target.data('name')); });
    this.keyboard();
    this.cy.on('tap', 'edge.tunnel', function (e) { self.select('tunnel', e.target.data('name')); });
    return this.layout();
  };

  // Under the graph: what the colours mean, and a line telling the resource or tunnel
  // last clicked (its type, region, status and reason), read out by screen readers.
  Topology.prototype.legend = function (element) {
    var box = document.createElement('div');
    box.className = 'topology-legend';
    box.style.cssText = 'display:flex;flex-wrap:wrap;gap:4px 16px;align-items:center;' +
      'margin:6px 2px;font-size:13px';
    [['complete', 'complete / ACTIVE'], ['progress', 'in progress'], ['failed', 'failed / DOWN'],
      ['other', 'not created yet']].forEach(function (item) {
      var key = document.createElement('span');
      var swatch = document.createElement('span');
      swatch.setAttribute('aria-hidden', 'true');
      swatch.style.cssText = 'display:inline-block;width:12px;height:12px;border-radius:3px;' +
        'margin-right:5px;vertical-align:-1px;background:' + COLOURS[item[0]];
      key.appendChild(swatch);
      key.appendChild(document.createTextNode(item[1]));
      box.appendChild(key);
    });
    var details = document.createElement('p');
    details.id = 'topology-details';
    details.setAttribute('aria-live', 'polite');
    details.style.cssText = 'margin:0 0 0 auto';
    details.textContent = 'Click a resource or a tunnel for its status (or, with the graph ' +
      'focused, the arrow keys; + and - zoom, 0 fits).';
    box.appendChild(details);
    element.insertAdjacentElement('afterend', box);
    return details;
  };

  Topology.prototype.select = function (kind, name) {
    this.selected = [kind, name];
    this.cy.elements('.chosen').removeClass('chosen');
    this.cy.getElementById((kind === 'resource' ? resourceId : tunnelId)(name)).addClass('chosen');
    this.renderDetails();
  };

  // The graph focused: arrow keys step through the resources, then the tunnels (in the
  // order of the summary list); + and - zoom, 0 fits the whole graph again.
  Topology.prototype.keyboard = function () {
    var self = this;
    var element = this.element;
    element.tabIndex = 0;
    element.addEventListener('keydown', function (e) {
      var order = Object.keys(self.resources).map(function (n) { return ['resource', n]; })
        .concat(Object.keys(self.tunnels).map(function (n) { return ['tunnel', n]; }));
      var at = -1;
      if (self.selected) {
        order.forEach(function (item, i) {
          if (item[0] === self.selected[0] && item[1] === self.selected[1]) at = i;
        });
      }
      var step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key];
      var centre = { x: self.cy.width() / 2, y: self.cy.height() / 2 };
      if (step && order.length) {
        var next = order[(at + step + order.length) % order.length];
        self.select(next[0], next[1]);
      } else if (e.key === '+' || e.key === '=') {
        self.cy.zoom({ level: self.cy.zoom() * 1.25, renderedPosition: centre });
      } else if (e.key === '-') {
        self.cy.zoom({ level: self.cy.zoom() / 1.25, renderedPosition: centre });
      } else if (e.key === '0') {
        self.fit();
      } else {
        return;
      }
      e.preventDefault();
    });
  };

  Topology.prototype.renderDetails = function () {
    if (!this.selected) return;
    var kind = this.selected[0];
    var name = this.selected[1];
    var text;
    if (kind === 'resource') {
      var r = this.resources[name] || {};
      text = name + ' (' + (r.type || 'resource') + ') in ' + (r.region || 'no region') + ': ' +
        (r.status || 'not created yet') + (r.status_reason ? ' - ' + r.status_reason : '');
    } else {
      var t = this.tunnels[name] || {};
      text = 'Tunnel ' + name + ' between ' + (t.regions || []).join(' and ') + ': ' +
        (t.status || 'not created yet');
    }
    this.details.textContent = text;
    this.details.setAttribute('data-selected', kind + ':' + name);
  };

  // In a hidden tab the element has no size: once it has one (the tab shown), and when
  // it is resized while the user has not zoomed or panned, the graph is fitted again.
  Topology.prototype.watchSize = function () {
    if (typeof ResizeObserver === 'undefined') return;
    var self = this;
    var last = [this.canvas.clientWidth, this.canvas.clientHeight];
    new ResizeObserver(function () {
      var now = [self.canvas.clientWidth, self.canvas.clientHeight];
      if (now[0] === last[0] && now[1] === last[1]) return;
      var wasEmpty = !last[0] || !last[1];
      last = now;
      self.cy.resize();
      if (now[0] && now[1] && (wasEmpty || viewOf(self.cy) === self.fitted)) self.fit();
    }).observe(this.canvas);
  };

  function viewOf(cy) {
    var pan = cy.pan();
    return [cy.zoom().toFixed(4), pan.x.toFixed(1), pan.y.toFixed(1)].join(' ');
  }

  Topology.prototype.fit = function () {
    this.cy.fit(undefined, 24);
    this.fitted = viewOf(this.cy);
  };

  Topology.prototype.regionElement = function (region) {
    return {
      group: 'nodes',
      data: {
        id: regionId(region.name),
        name: region.name,
        label: region.cloud ? region.name + ' (' + region.cloud + ')' : region.name,
      },
      classes: 'region',
    };
  };

  Topology.prototype.resourceElement = function (resource) {
    var data = {
      id: resourceId(resource.name),
      name: resource.name,
      type: resource.type || '',
      status: resource.status || '',
    };
    if (resource.region) data.parent = regionId(resource.region);
    return { group: 'nodes', data: data, classes: 'resource ' + statusClass(resource.status) };
  };

  // "a / b" on two lines, then the status: fits between two boxes.
  Topology.prototype.tunnelLabel = function (tunnel) {
    return tunnel.name.split(' / ').join(' /\n') + '\n' + (tunnel.status || 'not created');
  };

  // Runs ELK once over the region boxes and the links inside them; links across regions
  // and tunnels are drawn, not laid out (each box is laid out on its own, then the boxes).
  Topology.prototype.layout = function () {
    var cy = this.cy;
    var self = this;
    var started = performance.now();
    var laidOut = cy.elements().filter(function (ele) {
      if (ele.isNode()) return true;
      if (ele.hasClass('tunnel')) return true;
      return !ele.hasClass('cross') && ele.source().parent().same(ele.target().parent());
    });
    var width = cy.width();
    var height = cy.height();
    // the shape of the whole drawing, as the element's (a hidden one has no size yet)
    var root = Object.assign({}, ROOT_LAYOUT, {
      aspectRatio: width > 0 && height > 0 ? width / height : 1.6,
    });
    return new Promise(function (resolve) {
      var layout = laidOut.layout({
        name: 'elk',
        fit: true,
        padding: 24,
        animate: false,
        elk: root,
        nodeLayoutOptions: function (node) {
          return node.isParent() ? REGION_LAYOUT : undefined;
        },
      });
      layout.one('layoutstop', function () {
        self.layoutMs = Math.round(performance.now() - started); // for tests and benchmarks
        self.fitted = viewOf(cy);
        resolve();
      });
      layout.run();
    });
  };

  Topology.prototype.listen = function () {
    if (!this.streamUrl || this.closed || typeof EventSource === 'undefined') return;
    var self = this;
    var source = new EventSource(this.streamUrl, { withCredentials: true });
    this.source = source;
    ['resource', 'tunnel', 'stack', 'event'].forEach(function (type) {
      source.addEventListener(type, function (message) {
        var data;
        try {
          data = JSON.parse(message.data);
        } catch (error) {
          return;
        }
        self.queue(type, data);
      });
    });
    var opened = false;
    source.addEventListener('open', function () {
      self.element.setAttribute('data-stream', 'open');
      if (opened) self.resync(); // a reconnection: what the stream said meanwhile was missed
      opened = true;
    });
    source.addEventListener('error', function () {
      self.element.setAttribute('data-stream', source.readyState === 2 ? 'closed' : 'reconnecting');
    });
  };

  // After the stream reconnects: the JSON again, once, for what happened while it was down.
  Topology.prototype.resync = function () {
    var self = this;
    fetch(this.dataUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        if (data.stack) self.queue('stack', data.stack);
        (data.resources || []).forEach(function (r) { self.queue('resource', r); });
        (data.tunnels || []).forEach(function (t) { self.queue('tunnel', t); });
      })
      .catch(function () {});
  };

  Topology.prototype.queue = function (type, data) {
    this.pending.push([type, data]);
    this.element.dispatchEvent(new CustomEvent('topology:' + type, { detail: data, bubbles: true }));
    if (this.drawn) this.schedule();
  };

  // One flush per animation frame, however many events came since the last.
  Topology.prototype.schedule = function () {
    if (this.frame === null) {
      var self = this;
      var flush = function () { self.frame = null; self.flush(); };
      // requestAnimationFrame does not run in a hidden tab: a timer then.
      this.frame = document.hidden ? setTimeout(flush, 100) : requestAnimationFrame(flush);
    }
  };

  Topology.prototype.flush = function () {
    var self = this;
    var batch = this.pending;
    this.pending = [];
    var added = false;
    this.cy.batch(function () {
      batch.forEach(function (item) {
        var type = item[0];
        var data = item[1];
        if (type === 'resource') added = self.applyResource(data) || added;
        else if (type === 'tunnel') self.applyTunnel(data);
        else if (type === 'stack') self.stack = Object.assign({}, self.stack, data);
      });
    });
    this.renderSummary();
    this.renderDetails();
    if (added) this.layout();
  };

  // Returns true when the resource is new (the graph needs laying out again).
  Topology.prototype.applyResource = function (data) {
    if (!data || !data.name) return false;
    var known = this.resources[data.name];
    if (!known) {
      var resource = Object.assign({}, data);
      this.resources[data.name] = resource;
      if (resource.region && this.cy.getElementById(regionId(resource.region)).empty()) {
        this.cy.add(this.regionElement({ name: resource.region, cloud: null }));
      }
      this.cy.add(this.resourceElement(resource));
      return true;
    }
    Object.assign(known, data);
    var node = this.cy.getElementById(resourceId(data.name));
    node.data('status', known.status || '');
    node.removeClass(CLASSES).addClass(statusClass(known.status));
    return false;
  };

  Topology.prototype.applyTunnel = function (data) {
    if (!data || !data.name) return;
    var tunnel = this.tunnels[data.name];
    if (!tunnel) return; // only the JSON knows which regions a tunnel joins
    tunnel.status = data.status;
    var edge = this.cy.getElementById(tunnelId(data.name));
    edge.data({ status: data.status || '', label: this.tunnelLabel(tunnel) });
    edge.removeClass(CLASSES).addClass(tunnelClass(data.status));
  };

  Topology.prototype.item = function (key, attribute, value) {
    var li = this.items[key];
    if (!li) {
      li = document.createElement('li');
      li.setAttribute(attribute, value);
      this.summary.appendChild(li);
      this.items[key] = li;
    }
    return li;
  };

  Topology.prototype.renderSummary = function () {
    var self = this;
    var counts = { complete: 0, progress: 0, failed: 0, other: 0 };
    var regions = {};
    Object.keys(this.resources).forEach(function (name) {
      var r = self.resources[name];
      counts[statusClass(r.status)] += 1;
      if (r.region) regions[r.region] = true;
      var li = self.item('resource:' + name, 'data-resource', name);
      var status = r.status || 'NOT_CREATED';
      if (li.getAttribute('data-status') !== status) {
        li.setAttribute('data-status', status);
        li.setAttribute('data-region', r.region || '');
        li.textContent = name + ' (' + (r.type || 'resource') + ') in ' + (r.region || 'no region') +
          ': ' + status + (r.status_reason ? ' - ' + r.status_reason : '');
      }
    });
    var tunnelText = [];
    Object.keys(this.tunnels).forEach(function (name) {
      var t = self.tunnels[name];
      var li = self.item('tunnel:' + name, 'data-tunnel', name);
      var status = t.status || 'NOT_CREATED';
      var text = 'Tunnel ' + name + ' between ' + (t.regions || []).join(' and ') + ': ' + status;
      if (li.getAttribute('data-status') !== status) {
        li.setAttribute('data-status', status);
        li.textContent = text;
      }
      tunnelText.push(name + ' ' + status);
    });
    var total = Object.keys(this.resources).length;
    var label = 'Stack topology' + (this.stack.name ? ' of ' + this.stack.name : '') +
      (this.stack.status ? ' (' + this.stack.status + ')' : '') + ': ' +
      total + ' resources in ' + Object.keys(regions).length + ' regions (' +
      Object.keys(regions).join(', ') + '); ' + counts.complete + ' complete, ' +
      counts.progress + ' in progress, ' + counts.failed + ' failed' +
      (tunnelText.length ? '; tunnels: ' + tunnelText.join(', ') : '') + '.';
    this.element.setAttribute('aria-label', label);
  };

  Topology.prototype.close = function () {
    this.closed = true;
    if (this.source) this.source.close();
    this.source = null;
  };

  function mount(element, options) {
    if (typeof element === 'string') element = document.querySelector(element);
    if (!element) throw new Error('crossheatTopology.mount: no element');
    if (!window.cytoscape) throw new Error('crossheatTopology.mount: load vendor/cytoscape-elk.min.js first');
    if (element.crossheatTopology) element.crossheatTopology.close();
    var view = new Topology(element, options || {});
    element.crossheatTopology = view;
    return view;
  }

  window.crossheatTopology = { mount: mount, statusClass: statusClass, colours: COLOURS };
})();
