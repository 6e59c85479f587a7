/// The dashboard's three static files. The page holds no data: it asks for the admin token (kept in the
/// tab's `sessionStorage`), fetches `/admin/stats` (and `/admin/jobs`) with it as a Bearer header, and draws the numbers and small
/// SVG charts itself. No cookies, so another site can make a browser send nothing that opens the admin
/// surface; no CDN and no build step (Docs/OPERATIONS.md, "Dashboard").
enum DashboardPage {
    static let html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>VoiceVault</title>
        <link rel="icon" href="/favicon.svg" type="image/svg+xml">
        <link rel="stylesheet" href="/admin/dashboard.css">
        <script src="/admin/dashboard.js" defer></script>
        </head>
        <body>
        <header><h1>VoiceVault</h1><span id="updated"></span><button id="sign-out" hidden>Forget token</button></header>
        <form id="token-form">
          <label for="token">Admin token (<code>VOICEVAULT_ADMIN_TOKEN</code>)</label>
          <input id="token" type="password" autocomplete="off" required>
          <button type="submit">Show dashboard</button>
          <p id="form-error" role="alert"></p>
          <p class="hint">The token stays in this tab (sessionStorage) and is sent only as an Authorization header.</p>
        </form>
        <main id="dashboard" hidden>
          <section class="tiles">
            <div class="tile"><span class="label">Hit rate</span><span class="value" data-stat="hitRate"></span></div>
            <div class="tile"><span class="label">Hits</span><span class="value" data-stat="hits"></span></div>
            <div class="tile"><span class="label">Misses</span><span class="value" data-stat="misses"></span></div>
            <div class="tile"><span class="label">Generations</span><span class="value" data-stat="generations"></span></div>
            <div class="tile"><span class="label">Assets</span><span class="value" data-stat="assets"></span></div>
            <div class="tile"><span class="label">Stored bytes</span><span class="value" data-stat="bytes"></span></div>
            <div class="tile"><span class="label">Characters generated</span><span class="value" data-stat="charactersGenerated"></span></div>
            <div class="tile"><span class="label">Characters saved</span><span class="value" data-stat="charactersSaved"></span></div>
            <div class="tile"><span class="label">Cost saved</span><span class="value" data-stat="costSaved"></span></div>
            <div class="tile"><span class="label">Budget today</span><span class="value" data-stat="budget"></span></div>
            <div class="tile"><span class="label">Upstream p95 (1 h)</span><span class="value" data-stat="p95"></span></div>
          </section>
          <section><h2>Hit rate per day</h2><div id="chart-hit-rate" class="chart"></div></section>
          <section><h2>Characters generated and saved per day</h2><div id="chart-characters" class="chart"></div></section>
          <section class="pair">
            <div><h2>Top voices</h2><div id="chart-voices" class="chart"></div></div>
            <div><h2>Top books</h2><div id="chart-books" class="chart"></div></div>
          </section>
          <section><h2>Generations in flight</h2><table id="in-flight"><thead><tr><th>Content hash</th><th>Waiters</th><th>Age (s)</th></tr></thead><tbody></tbody></table></section>
          <section><h2>Pre-generation jobs</h2><table id="jobs"><thead><tr><th>Job</th><th>Book</th><th>Status</th><th>Done</th><th>Generated</th><th>Cached</th><th>Failed</th><th>Characters</th><th>Time left (s)</th></tr></thead><tbody></tbody></table></section>
          <section><h2>Recent generations</h2><table id="recent"><thead><tr><th>When</th><th>Book</th><th>Voice</th><th>Characters</th><th>Upstream (s)</th></tr></thead><tbody></tbody></table></section>
        </main>
        </body>
        </html>
        """

    static let css = """
        body { font: 15px/1.4 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
        header { display: flex; gap: 1rem; align-items: baseline; padding: .8rem 1.5rem; background: #1d2330; color: #fff; }
        header h1 { font-size: 1.2rem; margin: 0; } #updated { opacity: .7; font-size: .85rem; flex: 1; }
        form, main { max-width: 70rem; margin: 1.5rem auto; padding: 0 1.5rem; }
        form label { display: block; margin-bottom: .4rem; } form input { width: 24rem; padding: .4rem; }
        #form-error { color: #b3261e; } .hint { color: #5b6270; font-size: .85rem; }
        .tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: .8rem; }
        .tile { background: #fff; border-radius: 6px; padding: .7rem .9rem; box-shadow: 0 1px 2px #0002; }
        .tile .label { display: block; font-size: .8rem; color: #5b6270; } .tile .value { font-size: 1.4rem; font-weight: 600; }
        section { margin-top: 1.5rem; } h2 { font-size: 1rem; margin: 0 0 .5rem; }
        .pair { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1.5rem; }
        .chart svg { display: block; background: #fff; border-radius: 6px; }
        table { border-collapse: collapse; width: 100%; background: #fff; } th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #e3e5ea; }
        td.hash { font-family: ui-monospace, monospace; font-size: .8rem; }
        td.empty { color: #5b6270; font-style: italic; }
        """

    static let script = """
        'use strict';
        const KEY = 'voicevault-admin-token';
        const SVG = 'http://www.w3.org/2000/svg';
        let timer = null;
        let lastStats = null;

        function element(name, attributes, text) {
          const node = document.createElementNS(SVG, name);
          for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
          if (text !== undefined) node.textContent = text;
          return node;
        }

        function bars(container, rows, series) {
          // rows: [{label, values: [n, ...]}]; series: [{name, color}]
          // Drawn at the container's own width, one SVG unit a CSS pixel: text keeps its size whatever the page's
          // width (a scaled viewBox made a full-width chart's labels twice a half-width one's).
          container.replaceChildren();
          const width = Math.max(320, Math.floor(container.clientWidth || 640)), rowHeight = 22, labelWidth = 150;
          const height = Math.max(1, rows.length) * rowHeight + 24;
          const svg = element('svg', {width, height, viewBox: `0 0 ${width} ${height}`, role: 'img'});
          const max = Math.max(1, ...rows.flatMap(row => row.values));
          rows.forEach((row, index) => {
            const y = index * rowHeight + 4;
            // Labels longer than the label column are cut with an ellipsis; the whole label is the tooltip.
            const label = element('text', {x: 4, y: y + 14, 'font-size': 12}, row.label.length > 20 ? row.label.slice(0, 19) + '…' : row.label);
            label.append(element('title', {}, row.label));
            svg.append(label);
            const barHeight = (rowHeight - 6) / row.values.length;
            row.values.forEach((value, part) => {
              const length = (width - labelWidth - 60) * value / max;
              svg.append(element('rect', {x: labelWidth, y: y + part * barHeight, width: Math.max(0, length), height: barHeight - 1, fill: series[part].color}));
              svg.append(element('text', {x: labelWidth + length + 4, y: y + part * barHeight + barHeight - 2, 'font-size': 10}, format(value)));
            });
          });
          series.forEach((item, index) => {
            svg.append(element('rect', {x: labelWidth + index * 140, y: height - 14, width: 10, height: 10, fill: item.color}));
            svg.append(element('text', {x: labelWidth + index * 140 + 14, y: height - 5, 'font-size': 11}, item.name));
          });
          if (rows.length === 0) svg.append(element('text', {x: 8, y: 16, 'font-size': 12}, 'nothing yet'));
          container.append(svg);
        }

        function format(value) {
          return typeof value === 'number' ? value.toLocaleString('en-US', {maximumFractionDigits: 2}) : String(value);
        }

        function setStat(name, text) {
          document.querySelector(`[data-stat="${name}"]`).textContent = text;
        }

        function fillTable(id, rows) {
          const body = document.querySelector(`#${id} tbody`);
          if (rows.length === 0) {
            // An empty table says so, rather than showing headers over nothing.
            const td = document.createElement('td');
            td.colSpan = document.querySelectorAll(`#${id} thead th`).length;
            td.className = 'empty';
            td.textContent = 'nothing yet';
            const tr = document.createElement('tr');
            tr.append(td);
            return body.replaceChildren(tr);
          }
          body.replaceChildren(...rows.map(cells => {
            const tr = document.createElement('tr');
            cells.forEach(([text, className]) => {
              const td = document.createElement('td');
              td.textContent = text;
              if (className) td.className = className;
              tr.append(td);
            });
            return tr;
          }));
        }

        function render(stats) {
          lastStats = stats;
          setStat('hitRate', stats.hitRate === null || stats.hitRate === undefined ? '-' : (stats.hitRate * 100).toFixed(1) + '%');
          for (const name of ['hits', 'misses', 'generations', 'assets', 'bytes', 'charactersGenerated', 'charactersSaved']) {
            setStat(name, format(stats[name]));
          }
          setStat('costSaved', stats.costSaved === null || stats.costSaved === undefined ? 'no price set' : format(stats.costSaved));
          setStat('budget', format(stats.budget.charactersSpent) + (stats.budget.dailyLimit ? ' / ' + format(stats.budget.dailyLimit) : ''));
          const latency = stats.upstreamLatencyLastHour;
          setStat('p95', latency ? latency.p95Seconds.toFixed(2) + ' s' : '-');
          bars(document.getElementById('chart-hit-rate'), stats.days.map(day => ({
            label: day.day, values: [day.hits + day.misses === 0 ? 0 : Math.round(100 * day.hits / (day.hits + day.misses))]})),
            [{name: 'hit rate %', color: '#2f7d4f'}]);
          bars(document.getElementById('chart-characters'), stats.days.map(day => ({
            label: day.day, values: [day.charactersGenerated, day.charactersSaved]})),
            [{name: 'generated', color: '#c2562b'}, {name: 'saved', color: '#2f6db3'}]);
          bars(document.getElementById('chart-voices'), stats.topVoices.map(v => ({label: v.id, values: [v.hits]})), [{name: 'hits', color: '#6a4fb3'}]);
          bars(document.getElementById('chart-books'), stats.topBooks.map(b => ({label: b.id, values: [b.hits]})), [{name: 'hits', color: '#6a4fb3'}]);
          fillTable('in-flight', stats.inFlight.map(f => [[f.contentHash, 'hash'], [String(f.waiters)], [f.ageSeconds.toFixed(1)]]));
          fillTable('recent', stats.recentGenerations.map(g => [[g.at], [g.bookId], [g.voiceId], [format(g.characters)], [g.upstreamSeconds.toFixed(2)]]));
          document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
        }

        function showForm(message) {
          if (timer) clearInterval(timer);
          timer = null;
          document.getElementById('dashboard').hidden = true;
          document.getElementById('sign-out').hidden = true;
          document.getElementById('token-form').hidden = false;
          document.getElementById('form-error').textContent = message || '';
        }

        async function refresh() {
          const token = sessionStorage.getItem(KEY);
          if (!token) return showForm();
          let response;
          try {
            response = await fetch('/admin/stats', {headers: {Authorization: 'Bearer ' + token}, cache: 'no-store', credentials: 'omit'});
          } catch (error) {
            document.getElementById('updated').textContent = 'server unreachable; retrying';
            return;
          }
          if (response.status === 401 || response.status === 403) {
            sessionStorage.removeItem(KEY);
            const body = await response.json().catch(() => ({}));
            return showForm(body.message || 'the token was refused');
          }
          if (!response.ok) return;
          // Shown before drawing: the charts take their width from the laid-out page.
          document.getElementById('token-form').hidden = true;
          document.getElementById('dashboard').hidden = false;
          document.getElementById('sign-out').hidden = false;
          render(await response.json());
          // Jobs are their own route; a server that has none still shows the rest.
          const jobs = await fetch('/admin/jobs', {headers: {Authorization: 'Bearer ' + token}, cache: 'no-store', credentials: 'omit'})
            .then(answer => answer.ok ? answer.json() : {jobs: []}).catch(() => ({jobs: []}));
          fillTable('jobs', jobs.jobs.map(j => [[j.id, 'hash'], [j.bookId], [j.status], [j.done + ' / ' + j.total], [format(j.generated)],
            [format(j.cached)], [format(j.failed)], [format(j.charactersSpent)],
            [j.estimatedSecondsLeft === null || j.estimatedSecondsLeft === undefined ? '-' : format(j.estimatedSecondsLeft)]]));
          if (!timer) timer = setInterval(refresh, 10000);
        }

        document.addEventListener('DOMContentLoaded', () => {
          document.getElementById('token-form').addEventListener('submit', event => {
            event.preventDefault();
            sessionStorage.setItem(KEY, document.getElementById('token').value);
            document.getElementById('token').value = '';
            refresh();
          });
          document.getElementById('sign-out').addEventListener('click', () => {
            sessionStorage.removeItem(KEY);
            showForm();
          });
          refresh();
        });
        // Charts are drawn at their container's width: redraw when it changes.
        window.addEventListener('resize', () => { if (lastStats) render(lastStats); });
        """
}
