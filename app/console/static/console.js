// The Tierline console: read-only pages over the API, with the key the user gives the page.
// API data is only ever put into the page as text (textContent, text nodes, attribute values
// of our own choosing); nothing the API returns is parsed as HTML. Figures are shown as the
// API formats them; numbers are parsed only to size the bars of a chart.
"use strict";

(() => {
  const KEY = "tierline.key";
  const SVG = "http://www.w3.org/2000/svg";
  const root = document.getElementById("page");

  // --- building the page, as text only --------------------------------------------------

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attributes, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const shown = (value) => (value === null || value === undefined ? "—" : String(value));
  const isNumber = (value) => typeof value === "number" || (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value));

  // A table: headers, rows of cells; numbers right-aligned. ``name`` lets tests find it.
  function table(name, caption, headers, rows) {
    return el(
      "table",
      { "data-table": name },
      el("caption", {}, caption),
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
      el(
        "tbody",
        {},
        rows.map((row) =>
          el("tr", {}, row.map((cell) => (cell instanceof Node ? el("td", {}, cell) : el("td", { class: isNumber(cell) ? "num" : null }, shown(cell))))),
        ),
      ),
    );
  }

  function message(text, kind) {
    return el("div", { class: kind === "error" ? "message error" : "message", role: kind === "error" ? "alert" : "status" }, text);
  }

  // --- the API ----------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, body) {
      super((body && (body.detail || body.title)) || `HTTP ${status}`);
      this.status = status;
      this.body = body || {};
    }
  }

  async function api(path, body) {
    const headers = { Authorization: `Bearer ${sessionStorage.getItem(KEY)}`, Accept: "application/json" };
    const options = { headers, cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer" };
    if (body !== undefined) {
      options.method = "POST";
      headers["Content-Type"] = "application/json";
      options.body = body;
    }
    const response = await fetch(path, options);
    const parsed = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, parsed);
    return parsed;
  }

  // What a failed call means to the reader: the scope a 403 names, a refused key, or the
  // problem's own words.
  function explainError(error) {
    if (!(error instanceof ApiError)) return message(`Something went wrong: ${error.message}`, "error");
    if (error.status === 403 && error.body.required_scope) {
      return el(
        "div",
        { class: "message error", role: "alert", "data-missing-scope": error.body.required_scope },
        `This needs an API key with the scope “${error.body.required_scope}”; the key in use lacks it.`,
      );
    }
    if (error.status === 401) return message("The API key was refused: it is unknown or revoked. Forget it and give another.", "error");
    const details = (error.body.errors || []).map((e) => `${e.field}: ${e.message}`);
    return el("div", { class: "message error", role: "alert" }, `${error.status}: ${error.message}`, details.length ? el("ul", {}, details.map((d) => el("li", {}, d))) : null);
  }

  // --- charts (SVG drawn here), each beside the table of its figures ------------------------

  function figure(caption, chart, legend) {
    return el("figure", {}, chart, legend || null, el("figcaption", {}, caption));
  }

  function legend(labels) {
    return el("div", { class: "legend" }, labels.map((label, i) => el("span", {}, el("span", { class: `swatch c${i % 12}` }), label)));
  }

  // Stacked bars: one bar per column, one segment per series.
  function stackedBars(title, columns, series) {
    const width = 760, height = 260, left = 50, bottom = 40, top = 10;
    const totals = columns.map((_, i) => series.reduce((sum, s) => sum + Number(s.values[i] || 0), 0));
    const max = Math.max(1, ...totals);
    const step = (width - left - 10) / Math.max(1, columns.length);
    const scale = (height - top - bottom) / max;
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": title });
    chart.append(svg("line", { class: "axis", x1: left, y1: height - bottom, x2: width - 5, y2: height - bottom }));
    chart.append(svg("text", { x: left - 6, y: top + 10, "text-anchor": "end" }, String(max)));
    chart.append(svg("text", { x: left - 6, y: height - bottom, "text-anchor": "end" }, "0"));
    columns.forEach((label, i) => {
      let y = height - bottom;
      series.forEach((s, k) => {
        const h = Number(s.values[i] || 0) * scale;
        if (h > 0) {
          y -= h;
          chart.append(svg("rect", { class: `c${k % 12}`, x: left + i * step + 4, y, width: Math.max(2, step - 8), height: h }, svg("title", {}, `${label} ${s.label}: ${s.values[i]}`)));
        }
      });
      chart.append(svg("text", { x: left + i * step + step / 2, y: height - bottom + 14, "text-anchor": "middle" }, label));
    });
    return figure(title, chart, legend(series.map((s) => s.label)));
  }

  // Horizontal bars: one per row, its figure written beside it as the API gave it.
  function horizontalBars(title, rows) {
    const width = 560, rowHeight = 22, left = 140;
    const height = rows.length * rowHeight + 10;
    const max = Math.max(1e-9, ...rows.map((r) => Math.abs(Number(r.value) || 0)));
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": title });
    rows.forEach((row, i) => {
      const w = ((Math.abs(Number(row.value) || 0)) / max) * (width - left - 90);
      const y = 5 + i * rowHeight;
      chart.append(svg("text", { x: left - 6, y: y + 14, "text-anchor": "end" }, row.label));
      chart.append(svg("rect", { class: `c${i % 12}`, x: left, y: y + 3, width: Math.max(1, w), height: rowHeight - 6 }));
      chart.append(svg("text", { x: left + w + 6, y: y + 14 }, shown(row.value)));
    });
    return figure(title, chart);
  }

  // A flow diagram: where the period's moves came from (left) and went to (right), each
  // band as wide as its count.
  function flowDiagram(title, flows) {
    const sources = [...new Set(flows.map((f) => f.from))];
    const targets = [...new Set(flows.map((f) => f.to))];
    const width = 620, gap = 14, nodeWidth = 14;
    const total = flows.reduce((sum, f) => sum + f.count, 0) || 1;
    const usable = 300;
    const height = usable + gap * Math.max(sources.length, targets.length) + 20;
    const unit = usable / total;
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": title });
    const place = (names, key) => {
      const spots = new Map();
      let y = 10;
      for (const name of names) {
        const size = flows.filter((f) => f[key] === name).reduce((s, f) => s + f.count, 0) * unit;
        spots.set(name, { y, size, used: 0 });
        y += size + gap;
      }
      return spots;
    };
    const left = place(sources, "from"), right = place(targets, "to");
    const x0 = 150, x1 = width - 150;
    flows.forEach((f) => {
      const a = left.get(f.from), b = right.get(f.to);
      const w = f.count * unit;
      const ya = a.y + a.used + w / 2, yb = b.y + b.used + w / 2;
      a.used += w;
      b.used += w;
      const mid = (x0 + x1) / 2;
      chart.append(svg("path", { class: `flow c${targets.indexOf(f.to) % 12}`, "stroke-width": Math.max(1, w), d: `M${x0 + nodeWidth},${ya} C${mid},${ya} ${mid},${yb} ${x1},${yb}` }, svg("title", {}, `${f.from} → ${f.to}: ${f.count}`)));
    });
    for (const [name, spot] of left) {
      chart.append(svg("rect", { class: "c9", x: x0, y: spot.y, width: nodeWidth, height: Math.max(1, spot.size) }));
      chart.append(svg("text", { x: x0 - 6, y: spot.y + spot.size / 2 + 4, "text-anchor": "end" }, name));
    }
    for (const [name, spot] of right) {
      chart.append(svg("rect", { class: `c${targets.indexOf(name) % 12}`, x: x1, y: spot.y, width: nodeWidth, height: Math.max(1, spot.size) }));
      chart.append(svg("text", { x: x1 + nodeWidth + 6, y: spot.y + spot.size / 2 + 4 }, name));
    }
    return figure(title, chart);
  }

  // Lines over the same x positions, one per series.
  function lines(title, labels, series) {
    const width = 620, height = 240, left = 50, bottom = 30, top = 10;
    const max = Math.max(1e-9, ...series.flatMap((s) => s.values.map(Number)));
    const step = (width - left - 10) / Math.max(1, labels.length - 1);
    const y = (v) => height - bottom - (Number(v) / max) * (height - top - bottom);
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": title });
    chart.append(svg("line", { class: "axis", x1: left, y1: height - bottom, x2: width - 5, y2: height - bottom }));
    chart.append(svg("text", { x: left - 6, y: top + 10, "text-anchor": "end" }, String(Math.round(max))));
    for (const s of series) {
      chart.append(svg("polyline", { class: s.className, points: s.values.map((v, i) => `${left + i * step},${y(v)}`).join(" ") }));
    }
    labels.forEach((label, i) => chart.append(svg("text", { x: left + i * step, y: height - bottom + 14, "text-anchor": "middle" }, label)));
    const key = el("div", { class: "legend" }, series.map((s) => el("span", {}, s.label)));
    return figure(title, chart, key);
  }

  // --- page plumbing ----------------------------------------------------------------------

  function route() {
    const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
    return { name: path || "overview", params: new URLSearchParams(query || "") };
  }

  function go(name, params) {
    const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v)).toString();
    location.hash = `#/${name}${query ? `?${query}` : ""}`;
  }

  // The form at the top of a page: its fields, and a submit that puts them in the address.
  function controls(name, fields, params) {
    const form = el("form", { class: "controls" });
    for (const field of fields) {
      const input = field.options
        ? el("select", { name: field.name }, field.options.map((o) => el("option", { value: o, selected: o === field.value ? "selected" : null }, o)))
        : el("input", { name: field.name, type: field.type || "text", value: field.value || "", placeholder: field.placeholder || null, required: field.required ? "required" : null });
      form.append(el("label", {}, field.label, input));
    }
    form.append(el("button", { type: "submit", class: "primary" }, "Show"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const values = Object.fromEntries(new FormData(form).entries());
      go(name, { ...Object.fromEntries(params), ...values });
    });
    return form;
  }

  // The schemes the key may list (customers:read), else a free field for the scheme's key.
  async function schemeField(params) {
    let keys = null;
    try {
      keys = (await api("/v1/schemes?limit=100")).items.map((s) => s.key);
    } catch (error) {
      keys = null;
    }
    const value = params.get("scheme") || (keys && keys[0]) || "value";
    if (keys && keys.length && keys.includes(value)) return { name: "scheme", label: "Scheme", options: keys, value };
    return { name: "scheme", label: "Scheme (key)", value, required: true };
  }

  const day = (date) => date.toISOString().slice(0, 10);
  const tierName = (tier) => (tier === null ? "(newcomers)" : tier);

  // --- 1. overview --------------------------------------------------------------------------

  async function overview(params, page) {
    const scheme = await schemeField(params);
    const key = encodeURIComponent(scheme.value);
    page.append(el("h1", {}, `Overview of the scheme “${scheme.value}”`), controls("overview", [scheme], params));
    const now = await api(`/v1/analytics/schemes/${key}/distribution`);
    page.append(el("h2", {}, "Now"));
    page.append(
      el(
        "div",
        { class: "grid" },
        table("distribution-now", `Customers per tier at ${now.as_of} (total ${now.total})`, ["Tier", "Customers", "Share"], now.tiers.map((t) => [t.tier, t.count, t.share])),
        horizontalBars("Customers per tier now", now.tiers.map((t) => ({ label: t.tier, value: t.count }))),
      ),
    );
    const today = new Date();
    const ends = [];
    for (let back = 11; back >= 0; back -= 1) {
      ends.push(new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - back, 1)));
    }
    const months = await Promise.all(ends.map((end) => api(`/v1/analytics/schemes/${key}/distribution?as_of=${encodeURIComponent(end.toISOString())}`)));
    const tiers = [...new Set(months.flatMap((m) => m.tiers.map((t) => t.tier)))];
    const labels = ends.map((end) => day(new Date(end.getTime() - 86400000)).slice(0, 7));
    const count = (m, tier) => (m.tiers.find((t) => t.tier === tier) || { count: 0 }).count;
    page.append(el("h2", {}, "At the end of each of the last 12 months"));
    page.append(stackedBars("Customers per tier at each month's end", labels, tiers.map((tier) => ({ label: tier, values: months.map((m) => count(m, tier)) }))));
    page.append(
      table(
        "distribution-months",
        "Customers per tier at the end of each month (as_of is the first moment of the next month)",
        ["Month", "as_of", ...tiers, "Total"],
        months.map((m, i) => [labels[i], m.as_of, ...tiers.map((tier) => count(m, tier)), m.total]),
      ),
    );
  }

  // --- 2. movement --------------------------------------------------------------------------

  async function movement(params, page) {
    const scheme = await schemeField(params);
    const key = encodeURIComponent(scheme.value);
    const fields = [scheme, { name: "from", label: "From (UTC day, inclusive)", type: "date", value: params.get("from") }, { name: "to", label: "To (UTC day, exclusive)", type: "date", value: params.get("to") }];
    page.append(el("h1", {}, `Movement in the scheme “${scheme.value}”`), controls("movement", fields, params));
    const query = new URLSearchParams();
    if (params.get("from")) query.set("from", `${params.get("from")}T00:00:00Z`);
    if (params.get("to")) query.set("to", `${params.get("to")}T00:00:00Z`);
    const [moves, distribution] = await Promise.all([api(`/v1/analytics/schemes/${key}/transitions?${query}`), api(`/v1/analytics/schemes/${key}/distribution`)]);
    page.append(el("p", { class: "muted" }, `From ${moves.from} to ${moves.to}.`));
    const NONE = "(no tier)", LEFT = "(erased)";
    const order = distribution.tiers.map((t) => t.tier);
    const seen = new Set([...moves.transitions.flatMap((t) => [t.from, t.to]), ...moves.entered.map((t) => t.tier), ...moves.left.map((t) => t.tier)]);
    const tiers = [...order, ...[...seen].filter((t) => !order.includes(t)).sort()];
    const cells = new Map();
    const add = (from, to, n) => cells.set(`${from}\u0000${to}`, n);
    moves.transitions.forEach((t) => add(t.from, t.to, t.count));
    moves.entered.forEach((t) => add(NONE, t.tier, t.count));
    moves.left.forEach((t) => add(t.tier, LEFT, t.count));
    const max = Math.max(1, ...cells.values());
    const rowsFrom = [NONE, ...tiers], columnsTo = [...tiers, LEFT];
    const matrix = el(
      "table",
      { "data-table": "transitions" },
      el("caption", {}, "Moves from a tier (rows) to a tier (columns)"),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "from \\ to"), columnsTo.map((t) => el("th", { scope: "col", class: "num" }, t)))),
      el(
        "tbody",
        {},
        rowsFrom.map((from) =>
          el(
            "tr",
            {},
            el("th", { scope: "row" }, from),
            columnsTo.map((to) => {
              const n = cells.get(`${from}\u0000${to}`) || 0;
              return el("td", { class: `num heat-${n ? Math.ceil((5 * n) / max) : 0}`, "data-from": from, "data-to": to }, String(n));
            }),
          ),
        ),
      ),
    );
    page.append(matrix);
    const flows = [...cells.entries()].map(([k, count]) => {
      const [from, to] = k.split("\u0000");
      return { from, to, count };
    });
    if (flows.length) page.append(flowDiagram("Where customers moved in the period (the band's width is its count)", flows));
    else page.append(message("No moves in this period."));
    page.append(table("entered", "First tiers given (entries)", ["Tier", "Customers"], moves.entered.map((t) => [t.tier, t.count])));
    page.append(table("left", "Customers erased, by the tier they held (exits)", ["Tier", "Customers"], moves.left.map((t) => [t.tier, t.count])));
  }

  // --- 3. effect per tier -------------------------------------------------------------------

  async function effect(params, page) {
    const scheme = await schemeField(params);
    const key = encodeURIComponent(scheme.value);
    const fields = [scheme, { name: "from", label: "First day (UTC)", type: "date", value: params.get("from") }, { name: "to", label: "Last day (UTC)", type: "date", value: params.get("to") }];
    page.append(el("h1", {}, `Effect per tier in the scheme “${scheme.value}”`), controls("effect", fields, params));
    const query = new URLSearchParams();
    if (params.get("from")) query.set("from", params.get("from"));
    if (params.get("to")) query.set("to", params.get("to"));
    const result = await api(`/v1/analytics/schemes/${key}/performance?${query}`);
    page.append(
      table(
        "performance",
        `Per tier held on ${result.from}, over ${result.from} to ${result.to} (money in ${result.currency})`,
        ["Tier", "Customers", "Revenue", "Orders", "Average order value", "Retention"],
        result.tiers.map((t) => [tierName(t.tier), t.customers, t.revenue, t.orders, t.average_order_value, t.retention]),
      ),
    );
    page.append(horizontalBars(`Revenue per tier (${result.currency})`, result.tiers.map((t) => ({ label: tierName(t.tier), value: t.revenue }))));
    page.append(el("h2", {}, "Predicted lifetime value (CLV model)"));
    try {
      page.append(clvReport(await api("/v1/models/clv")));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) page.append(message("No CLV model is fitted in this workspace yet (POST /v1/models/clv/fit)."));
      else page.append(explainError(error));
    }
  }

  function clvReport(model) {
    const parts = [el("p", {}, `Fitted ${model.fitted_at} on ${model.customers} customers (${model.repeat_customers} repeat), calibration end ${model.calibration_end}, holdout ${shown(model.holdout_days)} days.`)];
    const b = model.bgnbd, g = model.gamma_gamma;
    parts.push(table("clv-parameters", "Parameters", ["Model", "Parameters", "Log-likelihood", "Converged"], [
      ["BG/NBD", `r ${b.r}, alpha ${b.alpha}, a ${b.a}, b ${b.b}`, b.log_likelihood, String(b.converged)],
      ["Gamma-Gamma", g ? `p ${g.p}, q ${g.q}, gamma ${g.gamma}` : "—", g ? g.log_likelihood : null, g ? String(g.converged) : "—"],
    ]));
    const tracking = model.tracking;
    if (!tracking) {
      parts.push(message("The model was fitted without a holdout, so there is no tracking of predicted against actual purchases."));
      return el("div", {}, parts);
    }
    parts.push(el("p", {}, `Holdout: ${tracking.predicted} repeat purchase days predicted, ${tracking.actual} actual.`));
    parts.push(lines("Cumulative repeat purchase days in the holdout, predicted and actual", tracking.weeks.map((w) => String(w.week)), [
      { label: "predicted (blue)", className: "line-predicted", values: tracking.weeks.map((w) => w.cumulative_predicted) },
      { label: "actual (red)", className: "line-actual", values: tracking.weeks.map((w) => w.cumulative_actual) },
    ]));
    parts.push(table("clv-tracking", "Week by week", ["Week", "Start", "End", "Predicted", "Actual", "Cumulative predicted", "Cumulative actual"], tracking.weeks.map((w) => [w.week, w.start, w.end, w.predicted, w.actual, w.cumulative_predicted, w.cumulative_actual])));
    return el("div", {}, parts);
  }

  // --- 4. preview of a rule change ----------------------------------------------------------

  const EDITABLE = ["name", "description", "tiers", "default_tier", "downgrade_grace_days", "min_days_in_tier", "grace_on_change"];

  async function preview(params, page) {
    const scheme = await schemeField(params);
    page.append(el("h1", {}, `Preview a change to the scheme “${scheme.value}”`), controls("preview", [scheme], params));
    page.append(el("p", { class: "muted" }, "Edit the version below and preview it: the moves it would cause now, with sample customers. Nothing is saved."));
    const editor = el("textarea", { id: "definition", spellcheck: "false", "aria-label": "Scheme version (JSON)" });
    try {
      const current = await api(`/v1/schemes/${encodeURIComponent(scheme.value)}`);
      editor.value = JSON.stringify(Object.fromEntries(EDITABLE.filter((k) => k in current).map((k) => [k, current[k]])), null, 2);
    } catch (error) {
      page.append(explainError(error));
    }
    const result = el("div", { id: "preview-result" });
    const button = el("button", { type: "button", class: "primary", id: "run-preview" }, "Preview");
    button.addEventListener("click", async () => {
      result.replaceChildren(message("Previewing…"));
      let body;
      try {
        body = JSON.stringify(JSON.parse(editor.value));
      } catch (error) {
        result.replaceChildren(message(`The version is not valid JSON: ${error.message}`, "error"));
        return;
      }
      try {
        const answer = await api(`/v1/schemes/${encodeURIComponent(scheme.value)}/preview`, body);
        result.replaceChildren(previewResult(answer));
      } catch (error) {
        result.replaceChildren(explainError(error));
      }
    });
    page.append(editor, el("p", {}, button), result);
  }

  function sampleLinks(ids) {
    const list = el("span", {});
    ids.forEach((id, i) => {
      if (i) list.append(", ");
      list.append(el("a", { href: `#/customer?id=${encodeURIComponent(id)}` }, id));
    });
    return list;
  }

  function previewResult(answer) {
    const NONE = "(no tier)";
    return el(
      "div",
      {},
      el("p", {}, `Saving it now would send ${answer.webhook_messages} webhook messages.`),
      table("preview-transitions", "Moves it would cause", ["From", "To", "Customers", "Sample"], answer.transitions.map((t) => [t.from === null ? NONE : t.from, t.to, t.count, sampleLinks(t.sample)])),
      table("preview-held-back", "Downgrades grace would hold back", ["From", "To", "Customers", "Sample"], answer.held_back.map((t) => [t.from === null ? NONE : t.from, t.to, t.count, sampleLinks(t.sample)])),
    );
  }

  // --- 5. one customer ----------------------------------------------------------------------

  function comparisons(node, out) {
    if (node.all) node.all.forEach((n) => comparisons(n, out));
    else if (node.any) node.any.forEach((n) => comparisons(n, out));
    else if (node.not) comparisons(node.not, out);
    else out.push(node);
    return out;
  }

  function explanation(result) {
    const items = result.tiers.map((tier) =>
      el(
        "li",
        { class: tier.holds ? "holds" : "fails", "data-tier": tier.key },
        `${tier.key} (${tier.name}): ${tier.holds ? "holds" : "does not hold"}`,
        el("ul", {}, comparisons(tier.condition, []).map((c) => el("li", {}, `${c.field} ${c.op} ${JSON.stringify(c.value)}: now ${JSON.stringify(c.actual)}, ${c.holds ? "holds" : "fails"}`))),
      ),
    );
    const notes = [];
    if (result.next_tier && result.next_tier.missing) {
      const missing = [];
      const walk = (n) => (n.all || n.any ? (n.all || n.any).forEach(walk) : n.not ? walk(n.not) : missing.push(n.text));
      walk(result.next_tier.missing);
      notes.push(el("p", { "data-explain": "next" }, `To reach ${result.next_tier.key}: ${missing.filter(Boolean).join("; ")}`));
    }
    if (result.keep_tier && result.keep_tier.lose_if) notes.push(el("p", { "data-explain": "keep" }, `Keeps ${result.keep_tier.tier} unless ${result.keep_tier.lose_if.text}`));
    return el(
      "section",
      { "data-scheme": result.scheme },
      el("h3", {}, `${result.scheme}: qualifies for ${result.qualifies_for}${result.current ? `, holds ${result.current.tier} since ${result.current.since}` : ""}`),
      el("ul", { class: "explain" }, items),
      notes,
    );
  }

  async function customer(params, page) {
    const id = params.get("id") || "";
    page.append(el("h1", {}, id ? `Customer ${id}` : "One customer"), controls("customer", [{ name: "id", label: "Customer id", value: id, required: true }], params));
    if (!id) return;
    const base = `/v1/customers/${encodeURIComponent(id)}`;
    const profile = await api(base);
    page.append(el("h2", {}, "Profile"));
    page.append(table("profile", "Customer", ["Field", "Value"], [["customer_id", profile.customer_id], ["created_at", profile.created_at], ["updated_at", profile.updated_at], ["next_review_at", profile.next_review_at]]));
    page.append(table("traits", "Traits", ["Trait", "Value"], Object.entries(profile.traits).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])));
    page.append(table("metrics", "Metrics", ["Metric", "Value"], Object.entries(profile.metrics).map(([k, v]) => [k, v])));
    const schemes = Object.keys(profile.tiers);
    page.append(el("h2", {}, "Tiers"));
    page.append(table("tiers", "Current tiers", ["Scheme", "Tier", "Version", "Since", "Pending downgrade"], schemes.map((s) => {
      const t = profile.tiers[s];
      return [s, t.tier, t.version, t.since, t.pending_downgrade ? `${t.pending_downgrade.to} at ${t.pending_downgrade.at}` : null];
    })));
    const [explained, tierHistory, segments, segmentHistory, events] = await Promise.allSettled([
      Promise.all(schemes.map((s) => api(`${base}/tiers/${encodeURIComponent(s)}/explain`))),
      api(`${base}/tiers/history?limit=50`),
      api(`${base}/segments`),
      api(`${base}/segments/history?limit=50`),
      api(`${base}/events?limit=20`),
    ]);
    const section = (settled, render) => (settled.status === "fulfilled" ? render(settled.value) : explainError(settled.reason));
    page.append(el("h2", {}, "Why these tiers"), section(explained, (all) => el("div", {}, all.map(explanation))));
    page.append(el("h2", {}, "Tier history"), section(tierHistory, (h) => table("tier-history", "Tier changes, newest first", ["When", "Scheme", "Version", "From", "To", "Reason"], h.items.map((i) => [i.changed_at, i.scheme, i.version, i.from_tier, i.to_tier, i.reason]))));
    page.append(el("h2", {}, "Segments"), section(segments, (s) => table("segments-of-customer", "Member of", ["Segment", "Name", "Since"], s.items.map((i) => [i.key, i.name, i.since]))));
    page.append(section(segmentHistory, (h) => table("segment-history", "Segment entries and exits, newest first", ["When", "Segment", "Change", "Reason"], h.items.map((i) => [i.changed_at, i.segment, i.change, i.reason]))));
    page.append(el("h2", {}, "Recent events"), section(events, (e) => table("events", "The last 20 events, newest first", ["Occurred", "Type", "Event id", "Amount", "Currency"], e.items.map((i) => [i.occurred_at, i.type, i.event_id, i.amount, i.currency]))));
  }

  // --- 6. segments --------------------------------------------------------------------------

  async function segments(params, page) {
    page.append(el("h1", {}, "Segments"));
    const list = (await api("/v1/segments?limit=100")).items;
    if (!list.length) {
      page.append(message("No saved segments in this workspace."));
      return;
    }
    const counts = await Promise.all(list.map((s) => api(`/v1/segments/${encodeURIComponent(s.key)}/count`)));
    page.append(table("segments", "Saved segments and their members now", ["Segment", "Name", "Members"], list.map((s, i) => [el("a", { href: `#/segments?segment=${encodeURIComponent(s.key)}` }, s.key), s.name, counts[i].count])));
    const chosen = params.get("segment") || list[0].key;
    const flows = await api(`/v1/analytics/segments/${encodeURIComponent(chosen)}/flows?interval=month`);
    page.append(el("h2", {}, `“${chosen}”: entries and exits per month (${flows.size} members now)`));
    page.append(stackedBars("Entries (green) and exits (red) per month", flows.periods.map((p) => p.start.slice(0, 7)), [
      { label: "entered", values: flows.periods.map((p) => p.entered) },
      { label: "exited", values: flows.periods.map((p) => p.exited) },
    ]));
    page.append(table("segment-flows", `From ${flows.from} to ${flows.to}`, ["Month", "From", "To", "Entered", "Exited", "Members at the end"], flows.periods.map((p) => [p.start.slice(0, 7), p.start, p.end, p.entered, p.exited, p.size])));
  }

  // --- the key, and the pages -----------------------------------------------------------------

  const PAGES = { overview, movement, effect, preview, customer, segments };

  // ``#key=…`` pre-fills the key (for automation); it is taken out of the address at once.
  function takeKeyFromAddress() {
    const match = location.hash.match(/^#key=([^&]*)(?:&(.*))?$/);
    if (!match) return;
    sessionStorage.setItem(KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", `${location.pathname}#${match[2] ? match[2] : "/overview"}`);
  }

  function askForKey(page) {
    const input = el("input", { type: "password", name: "key", autocomplete: "off", required: "required", placeholder: "tl_…", id: "key" });
    const form = el("form", { class: "controls", id: "key-form" }, el("label", {}, "API key", input), el("button", { type: "submit", class: "primary" }, "Open"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      sessionStorage.setItem(KEY, input.value.trim());
      render();
    });
    page.append(el("h1", {}, "Open the console"), el("p", {}, "Give an API key. It stays in this tab (sessionStorage) until the tab is closed or you forget it; each page says which scope it needs when the key lacks one."), form);
  }

  let rendering = 0;
  async function render() {
    const ticket = ++rendering;
    // Each rendering fills a view of its own, so one still loading never writes into the next.
    const view = el("div", {});
    root.replaceChildren(view);
    const { name, params } = route();
    const hasKey = Boolean(sessionStorage.getItem(KEY));
    document.getElementById("forget").hidden = !hasKey;
    for (const link of document.querySelectorAll("#nav a")) {
      link.classList.toggle("current", link.dataset.page === name);
      const scheme = params.get("scheme");
      const keeps = scheme && ["overview", "movement", "effect", "preview"].includes(link.dataset.page);
      link.setAttribute("href", `#/${link.dataset.page}${keeps ? `?scheme=${encodeURIComponent(scheme)}` : ""}`);
    }
    if (!hasKey) {
      askForKey(view);
      return;
    }
    const show = PAGES[name] || overview;
    document.body.dataset.state = "loading";
    try {
      await show(params, view);
    } catch (error) {
      view.append(explainError(error));
    }
    if (ticket === rendering) document.body.dataset.state = "ready";
  }

  document.getElementById("forget").addEventListener("click", () => {
    sessionStorage.removeItem(KEY);
    render();
  });
  window.addEventListener("hashchange", () => {
    takeKeyFromAddress();
    render();
  });
  takeKeyFromAddress();
  render();
})();
