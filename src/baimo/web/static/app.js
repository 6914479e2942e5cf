// baimo serve: draws charts from JSON data blocks, follows jobs over SSE. No inline script
// anywhere (the Content-Security-Policy forbids it); every value from the server is read with
// JSON.parse and shown as text.
(function () {
  'use strict';
  const palette = ['#4f46e5', '#0891b2', '#16a34a', '#ea580c', '#db2777', '#7c3aed', '#ca8a04',
    '#0f766e', '#64748b', '#dc2626'];
  const escHtml = (v) => String(v).replace(/[&<>"']/g, (c) =>
    ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[c]);

  // Tooltip templates ("<b>{b}</b> {c}") become functions that escape every value filled in;
  // the markup itself was limited to a few tags on the server (safe_option).
  function template(tpl) {
    return (params) => {
      const list = Array.isArray(params) ? params : [params];
      const value = (p) => Array.isArray(p.value) ? p.value.join(', ') : p.value;
      return tpl.replace(/\{([abcd])(\d*)\}|\{@\[(\d+)\]\}/g, (m, key, idx, dim) => {
        const p = list[idx ? Number(idx) : 0];
        if (!p) return '';
        let v;
        if (dim !== undefined) v = Array.isArray(p.value) ? p.value[Number(dim)] : p.value;
        else v = {a: p.seriesName, b: p.name, c: value(p), d: p.percent}[key];
        return v === undefined || v === null ? '' : escHtml(v);
      });
    };
  }
  function withTemplates(node, inTooltip) {
    if (Array.isArray(node)) { node.forEach((n) => withTemplates(n, inTooltip)); return; }
    if (!node || typeof node !== 'object') return;
    for (const key of Object.keys(node)) {
      if (key === 'formatter' && typeof node[key] === 'string') {
        if (inTooltip) node[key] = template(node[key]);
      } else {
        withTemplates(node[key], inTooltip || key === 'tooltip');
      }
    }
  }
  const charts = [];
  function drawCharts(root) {
    if (typeof echarts === 'undefined') return;
    for (const block of root.querySelectorAll('script[type="application/json"][data-chart]')) {
      const el = document.getElementById(block.dataset.chart);
      if (!el || el.dataset.drawn) continue;
      try {
        el.style.height = (Number(el.dataset.height) || 360) + 'px';
        const option = JSON.parse(block.textContent);
        option.color = option.color || palette;
        option.animation = false;
        option.textStyle = Object.assign({fontFamily: getComputedStyle(document.body).fontFamily}, option.textStyle || {});
        withTemplates(option, false);
        const chart = echarts.init(el, null, {renderer: 'svg'});
        chart.setOption(option);
        el.dataset.drawn = '1';
        charts.push(chart);
      } catch (err) {
        el.textContent = 'chart error: ' + err;
      }
    }
  }
  window.addEventListener('resize', () => charts.forEach((c) => c.resize()));

  // Jobs: one EventSource per unfinished job row; the row updates in place, and the page
  // reloads once a job ends so that its run link and final status come from the server.
  function followJobs(root) {
    for (const row of root.querySelectorAll('[data-job-events]')) {
      if (row.dataset.following) continue;
      row.dataset.following = '1';
      const src = new EventSource(row.dataset.jobEvents);
      src.onmessage = (ev) => {
        const p = JSON.parse(ev.data);
        const bar = row.querySelector('progress');
        if (bar && p.fraction !== null) bar.value = p.fraction;
        const count = row.querySelector('.job-count');
        if (count) count.textContent = p.total ? `${p.done} / ${p.total}` : String(p.done);
        row.dataset.status = p.status;
        const badge = row.querySelector('.job-status .badge');
        if (badge) { badge.textContent = p.status; badge.className = 'badge s-' + p.status; }
        if (p.finished) { src.close(); setTimeout(() => window.location.reload(), 300); }
      };
      src.onerror = () => { src.close(); row.dataset.following = ''; };
    }
  }
  function ready(root) {
    drawCharts(root);
    followJobs(root);
  }
  document.addEventListener('DOMContentLoaded', () => {
    ready(document);
    const csrf = document.body.dataset.csrf;
    document.body.addEventListener('htmx:configRequest', (ev) => {
      if (csrf) ev.detail.headers['X-CSRF-Token'] = csrf;
    });
    document.body.addEventListener('htmx:afterSettle', (ev) => ready(ev.detail.elt || document));
    window.baimoReady = true;
  });
})();
