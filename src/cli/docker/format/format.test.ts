import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderInspect, renderList } from './render.js';
import { alignColumns } from './table.js';
import { compileTemplate, goString } from './template.js';
import { ago, humanDuration, humanSize } from './units.js';

describe('docker units', () => {
  it('sizes: decimal, three significant digits', () => {
    assert.equal(humanSize(0), '0B');
    assert.equal(humanSize(999), '999B');
    assert.equal(humanSize(1000), '1kB');
    assert.equal(humanSize(4_261_000), '4.26MB');
    assert.equal(humanSize(4_200_000), '4.2MB');
    assert.equal(humanSize(1_234_567_890), '1.23GB');
  });
  it('durations as go-units says them', () => {
    assert.equal(humanDuration(500), 'Less than a second');
    assert.equal(humanDuration(1000), '1 second');
    assert.equal(humanDuration(59_000), '59 seconds');
    assert.equal(humanDuration(61_000), 'About a minute');
    assert.equal(humanDuration(45 * 60_000), '45 minutes');
    assert.equal(humanDuration(3_600_000), 'About an hour');
    assert.equal(humanDuration(47 * 3_600_000), '47 hours');
    assert.equal(humanDuration(3 * 86_400_000), '3 days');
    assert.equal(humanDuration(21 * 86_400_000), '3 weeks');
    assert.equal(humanDuration(90 * 86_400_000), '3 months');
    assert.equal(humanDuration(3 * 365 * 86_400_000), '3 years');
    assert.equal(ago('2020-01-01T00:00:00Z', Date.parse('2020-01-01T00:00:10Z')), '10 seconds ago');
  });
});

describe('go templates', () => {
  const data = { ID: 'abc', Names: ['a', 'b'], Labels: { x: '1', y: '2' }, Config: { Env: ['A=1'] }, Empty: '', N: 3 };
  const run = (f: string, d: unknown = data) => compileTemplate(f).execute(d);
  it('fields, nested fields, $ and missing values', () => {
    assert.equal(run('{{.ID}}'), 'abc');
    assert.equal(run('{{.Config.Env}}'), '[A=1]');
    assert.equal(run('{{$.ID}}-{{.N}}'), 'abc-3');
    assert.equal(run('{{.Nope}}'), '<no value>');
    assert.equal(run('{{.Labels}}'), 'map[x:1 y:2]');
  });
  it('functions and pipelines', () => {
    assert.equal(run('{{json .Names}}'), '["a","b"]');
    assert.equal(run('{{json .}}'), JSON.stringify(data));
    assert.equal(run('{{join .Names ","}}'), 'a,b');
    assert.equal(run('{{index .Labels "y"}}'), '2');
    assert.equal(run('{{.ID | upper}}'), 'ABC');
    assert.equal(run('{{truncate .ID 2}}|{{len .Names}}'), 'ab|2');
    assert.equal(run('{{printf "%s:%d" .ID .N}}'), 'abc:3');
    assert.equal(run('{{println .ID}}'), 'abc\n');
  });
  it('if/else, range, with, trimming', () => {
    assert.equal(run('{{if .Empty}}y{{else}}n{{end}}'), 'n');
    assert.equal(run('{{if .Empty}}a{{else if .N}}b{{else}}c{{end}}'), 'b');
    assert.equal(run('{{range .Names}}[{{.}}]{{end}}'), '[a][b]');
    assert.equal(run('{{range $.Nope}}x{{else}}none{{end}}'), 'none');
    assert.equal(run('{{with .Config}}{{.Env}}{{end}}'), '[A=1]');
    assert.equal(run('a  {{- .ID -}}  b'), 'aabcb');
  });
  it('errors name the problem', () => {
    assert.throws(() => compileTemplate('{{if .X}}'), /no \{\{end\}\}/);
    assert.throws(() => compileTemplate('{{nope .X}}').execute({}), /function "nope" not defined/);
    assert.throws(() => run('{{.ID.Foo}}'), /can't evaluate field Foo/);
  });
  it('goString prints as Go does', () => {
    assert.equal(goString(undefined), '<no value>');
    assert.equal(goString([1, 'a']), '[1 a]');
    assert.equal(goString(true), 'true');
  });
});

describe('lists and tables', () => {
  const spec = { table: 'table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}', headers: { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID' } };
  const items = [{ Repository: 'busybox', Tag: 'latest', ID: '1234' }, { Repository: 'a-much-longer-name', Tag: '1', ID: '5678' }];
  it('aligns as tabwriter(minwidth 10, padding 3) does', () => {
    assert.equal(alignColumns(['A\tBB\tC', 'longer-cell\tx\ty']), 'A             BB        C\nlonger-cell   x         y\n');
  });
  it('the default table, custom tables, raw templates and json', () => {
    assert.equal(renderList(items, spec), 'REPOSITORY           TAG       IMAGE ID\nbusybox              latest    1234\na-much-longer-name   1         5678\n');
    assert.equal(renderList(items, spec, 'table {{.ID}}\\t{{.Size}}'), 'IMAGE ID   SIZE\n1234       <no value>\n5678       <no value>\n');
    assert.equal(renderList(items, spec, '{{.Repository}}:{{.Tag}}'), 'busybox:latest\na-much-longer-name:1\n');
    assert.equal(renderList(items.slice(0, 1), spec, 'json'), `${JSON.stringify(items[0])}\n`);
  });
  it('inspect prints an indented array, or each item through the template', () => {
    assert.equal(renderInspect([{ Id: 'x' }]), '[\n    {\n        "Id": "x"\n    }\n]\n');
    assert.equal(renderInspect([{ Id: 'x' }, { Id: 'y' }], '{{.Id}}'), 'x\ny\n');
  });
});
