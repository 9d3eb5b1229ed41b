// RadDraft review page. Plain JS, no build step, nothing from outside the daemon.
// Reads and acts only through the FHIR API (/fhir) and the session endpoint (/auth/session);
// images come rendered from /ui/studies/... . Every text from a draft or a DICOM header goes into
// the page with textContent, never as markup, so a draft containing <script> is shown as text.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const POLL_MS = 10000;
  const FHIR_JSON = 'application/fhir+json';
  const FLAG_EXPLANATIONS = {
    CRITICAL_FINDING: 'The draft states a finding the model lists as critical: check it first.',
    CLASSIFIER_DISAGREES: 'An independent image classifier disagrees with what the draft says about this finding.',
    LOW_CONFIDENCE: 'The model was unsure of its own wording here.',
    NOT_IMAGE_GROUNDED: 'The text barely depends on the image: it may be a generic sentence rather than a reading.',
    OUT_OF_DISTRIBUTION: 'The image is unlike the images the model was trained on: trust the draft less.',
  };
  const PRIORITY = { 2: 'critical', 1: 'flagged', 0: 'routine' };

  const state = {
    csrf: null, user: null, worklist: [], selected: 0, draft: null,
    preset: 'default', zoom: false, pollTimer: null, idleTimer: null, idleMs: 15 * 60 * 1000,
    devices: new Map(),
  };

  // ---------------------------------------------------------------- HTTP

  class HttpError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  // The session is gone (the page is back at the login, saying why): callers show nothing more.
  class SessionEnded extends HttpError {}

  async function api(path, { method = 'GET', body, headers = {} } = {}) {
    const h = { Accept: FHIR_JSON + ', application/json', ...headers };
    if (method !== 'GET' && method !== 'HEAD') {
      if (state.csrf) h['X-CSRF-Token'] = state.csrf; // every state change carries the session's CSRF token
      if (body !== undefined && !h['Content-Type']) h['Content-Type'] = FHIR_JSON;
    }
    const resp = await fetch(path, {
      method, headers: h, credentials: 'same-origin', cache: 'no-store',
      body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
    });
    const text = await resp.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
    // a 401 to the login itself is a wrong password; to GET /auth/session on load, simply no session yet
    if (resp.status === 401 && !(path === '/auth/session' && method === 'POST')) {
      if (expiredOutcome(json)) {
        // the server's own reason (idle limit or maximum lifetime), without its API hint
        const why = outcomeText(json).split(';')[0];
        sessionEnded(why.charAt(0).toUpperCase() + why.slice(1) + ': log in again.');
        throw new SessionEnded(401, why);
      }
      if (path !== '/auth/session') {
        sessionEnded('Your session has ended (logged out elsewhere, or the account changed): log in again.');
        throw new SessionEnded(401, outcomeText(json) || 'session ended');
      }
    }
    if (!resp.ok) throw new HttpError(resp.status, outcomeText(json) || text || resp.statusText);
    return { json, etag: resp.headers.get('ETag') };
  }

  function expiredOutcome(json) {
    return !!(json && json.resourceType === 'OperationOutcome' && (json.issue || []).some((i) => i.code === 'expired'));
  }

  function outcomeText(json) {
    if (!json) return null;
    if (json.resourceType === 'OperationOutcome' && json.issue) {
      return json.issue.map((i) => i.diagnostics || (i.details && i.details.text) || i.code).join('; ');
    }
    return json.message || json.error || null;
  }

  // ---------------------------------------------------------------- views

  function show(view) {
    for (const v of ['login-view', 'worklist-view', 'draft-view']) $(v).hidden = v !== view;
    $('logout').hidden = view === 'login-view';
  }

  function say(text) { $('message').textContent = text || ''; }

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // ---------------------------------------------------------------- session

  async function login(ev) {
    ev.preventDefault();
    $('login-error').textContent = '';
    try {
      const { json } = await api('/auth/session', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: { name: $('username').value, password: $('password').value },
      });
      $('password').value = '';
      started(json);
    } catch (e) {
      $('login-error').textContent = e.message;
    }
  }

  function started(session) {
    state.csrf = session.csrf_token;
    state.user = session.name || $('username').value;
    if (session.idle_timeout_s) state.idleMs = session.idle_timeout_s * 1000;
    $('who').textContent = state.user + ' (' + (session.role || '') + ')';
    say('');
    resetIdle();
    openWorklist();
  }

  async function resume() {
    try {
      const { json } = await api('/auth/session');
      started(json);
    } catch (e) {
      show('login-view'); // a SessionEnded keeps the message saying why
      $('username').focus();
    }
  }

  async function logout() {
    try { await api('/auth/session', { method: 'DELETE' }); } catch (e) { /* ended anyway */ }
    sessionEnded('Logged out.');
  }

  function sessionEnded(text) {
    state.csrf = null;
    state.user = null;
    stopPolling();
    clearTimeout(state.idleTimer);
    $('who').textContent = '';
    $('banner').hidden = true;
    show('login-view');
    say(text);
  }

  function resetIdle() {
    clearTimeout(state.idleTimer);
    if (state.user) state.idleTimer = setTimeout(() => { logout().then(() => say('Logged out after inactivity.')); }, state.idleMs);
  }

  // ---------------------------------------------------------------- worklist

  function extension(resource, suffix) {
    return (resource.extension || []).filter((e) => e.url && e.url.endsWith('/' + suffix));
  }

  function sub(ext, name) {
    const s = (ext.extension || []).find((x) => x.url === name);
    if (!s) return null;
    if (s.valueCoding) return s.valueCoding.code;
    for (const k of ['valueString', 'valueDecimal', 'valueInteger', 'valueCode']) if (k in s) return s[k];
    return null;
  }

  function flagsOf(report) {
    return extension(report, 'confidence-flag').map((e) => ({
      code: sub(e, 'code'), finding: sub(e, 'finding'), severity: sub(e, 'severity'), detail: sub(e, 'detail'),
    }));
  }

  // flags the draft has no value for (flag-unavailable): absence of such a flag is "not assessed", not "no doubt"
  function unavailableOf(report) {
    return extension(report, 'flag-unavailable').map((e) => ({ code: sub(e, 'code'), reason: sub(e, 'reason') }));
  }

  function priorityOf(report) {
    const p = extension(report, 'worklist-priority')[0];
    return p && typeof p.valueInteger === 'number' ? p.valueInteger : 0;
  }

  function viewsOf(report) {
    const code = report.code && report.code.coding && report.code.coding[0] && report.code.coding[0].code;
    return code === '36643-5' ? 2 : code === '36554-4' ? 1 : '?';
  }

  // the patient's name as the FHIR stage put it in the report's subject (FAMILY, Given), else a dash
  function patientOf(report) {
    return (report.subject && report.subject.display) || '\u2014';
  }

  function accessionOf(report) {
    const id = (report.identifier || [])[0];
    return id && id.value ? id.value : 'report ' + report.id;
  }

  function age(issued) {
    if (!issued) return '';
    const s = Math.max(0, (Date.now() - Date.parse(issued)) / 1000);
    if (s < 90) return Math.round(s) + ' s';
    if (s < 5400) return Math.round(s / 60) + ' min';
    if (s < 129600) return Math.round(s / 3600) + ' h';
    return Math.round(s / 86400) + ' d';
  }

  async function loadWorklist() {
    const { json } = await api('/fhir/DiagnosticReport?status=preliminary&_count=200');
    state.worklist = (json.entry || []).map((e) => e.resource)
      .filter((r) => r && r.resourceType === 'DiagnosticReport' && r.status === 'preliminary');
    renderWorklist();
    $('worklist-updated').textContent = new Date().toLocaleTimeString();
  }

  function renderWorklist() {
    const body = $('worklist').tBodies[0];
    body.replaceChildren();
    state.selected = Math.min(state.selected, Math.max(0, state.worklist.length - 1));
    state.worklist.forEach((r, i) => {
      const tr = el('tr');
      tr.dataset.id = r.id;
      if (i === state.selected) tr.classList.add('selected');
      const p = priorityOf(r);
      const tdP = el('td');
      tdP.append(el('span', 'priority ' + (PRIORITY[p] || 'routine'), PRIORITY[p] || p));
      const tdFlags = el('td');
      for (const f of flagsOf(r)) tdFlags.append(el('span', 'chip', f.code + (f.finding ? ': ' + f.finding : '')));
      tr.append(tdP, el('td', 'patient', patientOf(r)), el('td', null, accessionOf(r)), tdFlags, el('td', null, age(r.issued)),
        el('td', null, viewsOf(r)));
      tr.addEventListener('click', () => openDraft(r.id));
      body.append(tr);
    });
    $('worklist-count').textContent = '(' + state.worklist.length + ')';
    $('worklist-empty').hidden = state.worklist.length > 0;
  }

  function startPolling() {
    stopPolling();
    state.pollTimer = setInterval(() => { loadWorklist().catch(failed('Worklist: ')); }, POLL_MS);
  }

  // an error handler that says what failed, unless the session ended (the login says that already)
  function failed(prefix) { return (e) => { if (!(e instanceof SessionEnded)) say(prefix + e.message); }; }

  function stopPolling() { clearInterval(state.pollTimer); state.pollTimer = null; }

  async function openWorklist() {
    state.draft = null;
    $('banner').hidden = true;
    show('worklist-view');
    try { await loadWorklist(); } catch (e) { if (e instanceof SessionEnded) return; say('Worklist: ' + e.message); }
    startPolling();
  }

  // ---------------------------------------------------------------- draft

  async function openDraft(id) {
    stopPolling(); // the message line keeps what the last decision said
    try {
      const { json, etag } = await api('/fhir/DiagnosticReport/' + encodeURIComponent(id));
      const { json: withResults } = await api('/fhir/DiagnosticReport?_id=' + encodeURIComponent(id)
        + '&_include=DiagnosticReport:result');
      const observations = (withResults.entry || []).map((e) => e.resource)
        .filter((r) => r && r.resourceType === 'Observation');
      const narrative = (loinc) => {
        const o = observations.find((x) => x.code && (x.code.coding || []).some((c) => c.code === loinc));
        return o ? o.valueString || '' : null;
      };
      const version = json.meta && json.meta.versionId;
      state.draft = {
        report: json, id: json.id, version, etag: etag || (version ? 'W/"' + version + '"' : null),
        findings: narrative('59776-5') ?? '', impression: json.conclusion ?? narrative('19005-8') ?? '',
      };
      renderDraft(observations);
    } catch (e) {
      if (e instanceof SessionEnded) return;
      say('Cannot open the draft: ' + e.message);
      openWorklist();
    }
  }

  function renderDraft(observations) {
    const d = state.draft;
    show('draft-view');
    $('draft-title').textContent = accessionOf(d.report) + ' \u00b7 ' + (d.report.code && d.report.code.text
      || (d.report.code && d.report.code.coding && d.report.code.coding[0].display) || '');
    $('findings').value = d.findings;
    $('impression').value = d.impression;
    $('reject-reason').value = '';
    const list = $('flags');
    list.replaceChildren();
    const flags = flagsOf(d.report);
    if (flags.length === 0) list.append(el('li', 'none', 'No flags: the model raised no doubt about this draft.'));
    for (const f of flags) {
      const li = el('li', f.code === 'CRITICAL_FINDING' ? 'critical' : '');
      li.append(el('span', 'flag-code', f.code));
      if (f.finding) li.append(el('span', 'flag-finding', ' \u2014 ' + f.finding));
      li.append(el('div', 'flag-explanation', FLAG_EXPLANATIONS[f.code] || ''));
      if (f.detail) li.append(el('div', 'flag-detail muted', f.detail));
      list.append(li);
    }
    for (const u of unavailableOf(d.report)) {
      const li = el('li', 'unavailable muted');
      li.append(el('span', 'flag-code', u.code + ' not assessed'));
      li.append(el('div', 'flag-detail', u.reason || 'not computed for this model'));
      list.append(li);
    }
    renderPatient();
    renderImages();
    referenceModelBanner(observations);
  }

  const SEX = { M: 'male', F: 'female', O: 'other' };

  // The header: whose study this is and why it was done, from the study's DICOM header (an audited read).
  async function renderPatient() {
    const ids = ['patient-name', 'patient-id', 'patient-sex', 'patient-birth', 'study-date', 'study-description',
      'study-indication'];
    for (const id of ids) $(id).textContent = '';
    const box = $('patient-header');
    box.classList.remove('unknown');
    const uid = studyUidOf(state.draft.report);
    const forDraft = state.draft.id;
    let h = null;
    try {
      if (uid) h = (await api('/ui/studies/' + encodeURIComponent(uid) + '/header')).json;
    } catch (e) {
      if (e instanceof SessionEnded) return;
    }
    if (!state.draft || state.draft.id !== forDraft) return; // another draft was opened meanwhile
    if (!h) {
      box.classList.add('unknown');
      $('patient-name').textContent = 'Patient unknown: check the study in the PACS before signing';
      return;
    }
    const n = h.name || [];
    const given = [n[1], n[2]].filter(Boolean).join(' ');
    $('patient-name').textContent = n[0] ? n[0] + (given ? ', ' + given : '') : 'no name in the images';
    $('patient-id').textContent = (h.patientId || '\u2014') + (h.issuer ? ' (' + h.issuer + ')' : '');
    $('patient-sex').textContent = SEX[h.sex] || h.sex || '\u2014';
    $('patient-birth').textContent = (h.birthDate || '\u2014') + (h.age ? ' (' + h.age + ')' : '');
    $('study-date').textContent = h.studyDate || '\u2014';
    $('study-description').textContent = h.studyDescription || '';
    $('study-indication').textContent = (h.indications || []).join('; ') || 'none given in the images';
  }

  async function referenceModelBanner(observations) {
    const ref = observations.map((o) => o.device && o.device.reference).find(Boolean);
    let synthetic = false;
    if (ref) {
      try {
        if (!state.devices.has(ref)) state.devices.set(ref, (await api('/fhir/' + ref)).json);
        const dev = state.devices.get(ref);
        synthetic = (dev.note || []).some((n) => /not for clinical use/i.test(n.text || ''));
      } catch (e) { synthetic = false; }
    }
    $('banner').hidden = !synthetic;
  }

  function studyUidOf(report) {
    const ref = (report.imagingStudy || [])[0];
    const v = ref && ref.identifier && ref.identifier.value;
    return v && v.startsWith('urn:oid:') ? v.substring(8) : null;
  }

  async function renderImages() {
    const box = $('images');
    box.replaceChildren();
    box.classList.toggle('zoomed', state.zoom);
    $('zoom').classList.toggle('active', state.zoom);
    for (const b of document.querySelectorAll('[data-preset]')) b.classList.toggle('active', b.dataset.preset === state.preset);
    const uid = studyUidOf(state.draft.report);
    if (!uid) { box.append(el('p', 'muted', 'No images are linked to this report.')); return; }
    try {
      const { json } = await api('/ui/studies/' + encodeURIComponent(uid) + '/instances');
      for (const inst of json) {
        const fig = el('figure');
        const img = el('img');
        img.alt = 'radiograph ' + (inst.viewPosition || '');
        img.src = '/ui/studies/' + encodeURIComponent(uid) + '/instances/' + encodeURIComponent(inst.sopInstanceUid)
          + '/rendered?preset=' + state.preset + '&size=' + (state.zoom ? 0 : 1024);
        fig.append(img, el('figcaption', null, (inst.viewPosition || 'view') + ' \u00b7 ' + inst.columns + ' \u00d7 ' + inst.rows));
        box.append(fig);
      }
    } catch (e) {
      if (!(e instanceof SessionEnded)) box.append(el('p', 'error', 'Images: ' + e.message));
    }
  }

  function parameters(parts) {
    return { resourceType: 'Parameters', parameter: parts.map(([name, value]) => ({ name, valueString: value })) };
  }

  async function decide(kind) {
    const d = state.draft;
    if (!d) return;
    const parts = [];
    if (kind === '$approve') {
      const findings = $('findings').value;
      const impression = $('impression').value;
      if (findings !== d.findings) parts.push(['findings', findings]);
      if (impression !== d.impression) parts.push(['impression', impression]);
    } else {
      const reason = $('reject-reason').value.trim();
      if (!reason) { say('Write the reason for rejecting first.'); $('reject-reason').focus(); return; }
      parts.push(['reason', reason]);
    }
    try {
      await api('/fhir/DiagnosticReport/' + encodeURIComponent(d.id) + '/' + kind, {
        method: 'POST', body: parameters(parts), headers: d.etag ? { 'If-Match': d.etag } : {},
      });
    } catch (e) {
      if (!(e instanceof SessionEnded)) say((kind === '$approve' ? 'Approval' : 'Rejection') + ' refused: ' + e.message);
      return;
    }
    const idx = state.worklist.findIndex((r) => r.id === d.id);
    state.worklist = state.worklist.filter((r) => r.id !== d.id);
    say((kind === '$approve' ? 'Approved ' : 'Rejected ') + accessionOf(d.report) + '.');
    const next = state.worklist[Math.max(0, idx)] || state.worklist[0];
    if (next) {
      openDraft(next.id);
    } else {
      openWorklist();
    }
  }

  // ---------------------------------------------------------------- keys

  function onKey(ev) {
    resetIdle();
    const inText = ev.target instanceof HTMLInputElement || ev.target instanceof HTMLTextAreaElement;
    if (!$('draft-view').hidden) {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); decide('$approve'); return; }
      if (ev.key === 'Escape') { ev.preventDefault(); if (inText) ev.target.blur(); else openWorklist(); return; }
      if (inText || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      const presets = { 1: 'default', 2: 'lung', 3: 'soft', 4: 'bone' };
      if (presets[ev.key]) { state.preset = presets[ev.key]; renderImages(); } else if (ev.key === 'z') { state.zoom = !state.zoom; renderImages(); } else if (ev.key === 'a') { decide('$approve'); } else if (ev.key === 'r') {
        if ($('reject-reason').value.trim()) decide('$reject'); else { ev.preventDefault(); $('reject-reason').focus(); }
      }
      return;
    }
    if (!$('worklist-view').hidden && !inText && state.worklist.length) {
      if (ev.key === 'j' || ev.key === 'ArrowDown') state.selected = Math.min(state.selected + 1, state.worklist.length - 1);
      else if (ev.key === 'k' || ev.key === 'ArrowUp') state.selected = Math.max(state.selected - 1, 0);
      else if (ev.key === 'Enter') { openDraft(state.worklist[state.selected].id); return; } else return;
      ev.preventDefault();
      renderWorklist();
    }
  }

  // ---------------------------------------------------------------- wiring

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', login);
    $('logout').addEventListener('click', logout);
    $('back').addEventListener('click', openWorklist);
    $('approve').addEventListener('click', () => decide('$approve'));
    $('reject').addEventListener('click', () => decide('$reject'));
    $('zoom').addEventListener('click', () => { state.zoom = !state.zoom; renderImages(); });
    for (const b of document.querySelectorAll('[data-preset]')) {
      b.addEventListener('click', () => { state.preset = b.dataset.preset; renderImages(); });
    }
    document.addEventListener('keydown', onKey);
    document.addEventListener('pointerdown', resetIdle);
    resume();
  });
})();
