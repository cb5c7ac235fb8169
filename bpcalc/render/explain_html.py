"""`bpcalc explain`'s page: the graph picture, the step tables and a stepper, in one self-contained HTML file.

Everything the page needs is inside it: the SVG that `bpcalc graph` draws
(with ids on its nodes and edges, see dot.source), the tables' cells from
rows.py, the steps from explain.py, a style sheet and a small script written
for the page. No external script, style, font or request, so it opens from
file://, offline. Without JavaScript it shows the picture and the full tables,
and the steps as a list. The same markup, under its own root id, is the
notebook's display (notebook.py), so two results in one notebook do not
interfere. Imports no Rich; Graphviz only to draw.
"""
from __future__ import annotations

import html as escape
import json

from ..errors import BpcalcError, InputError, install_hint
from ..graph import Result
from . import Options, number, rows
from .dot import GRAD, KINK, MAX_NODES, VALUE, caption, render_source
from .dot import source as dot_source
from .explain import BACKWARD, DONE, FORWARD, ExplainStep, steps

PAGE_ID = "bpcalc-explain"  # the root element of the page; a notebook display gets a unique one
PAGE_IDS = "bpx_"  # the page's prefix of the ids inside (SVG nodes and edges, table rows and cells)
STEP_ID = "bpcalc-step"  # the element holding the step's sentence: a stable hook for tests and embedders
NEEDS = (
    "The picture needs the graphviz Python package, "
    + install_hint("graphviz", "graph")
    + ", and Graphviz's dot program "
    "(Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; Windows: winget install graphviz). "
    "The tables and the stepper work without it."
)
HIGHLIGHT = "#0969da"
PAGE_MAX_NODES = 5000  # a page of more steps is megabytes that nobody steps through


def output(result: Result, options: Options) -> str:
    """The registry's entry point: the page at the options' digits and picture bound."""
    return render(result, options.digits, options.max_nodes)


def render(result: Result, digits: int = 6, max_nodes: int = MAX_NODES) -> str:
    """The page, with the picture when Graphviz is there and the graph has at most `max_nodes` nodes (0: any)."""
    n = len(result.graph.nodes)
    if n > PAGE_MAX_NODES:
        raise InputError(
            f"the graph has {n} nodes, more than the {PAGE_MAX_NODES} a page can step through at a readable size",
            "bpcalc grad shows its tables; bpcalc explain without -o prints every step's sentence",
        )
    if max_nodes and n > max_nodes:
        svg, note = (
            None,
            f"The graph has {n} nodes, more than --max-nodes {max_nodes}: "
            "no picture (Graphviz would take long to lay it out).",
        )
    else:
        svg, note = picture(result, digits)
    return page(result, digits, svg, note)


def picture(result: Result, digits: int = 6, ids: str = PAGE_IDS) -> tuple[str | None, str]:
    """The SVG markup with ids for the script (no XML prolog, so it sits inside HTML), or None and why not."""
    try:
        data = render_source(dot_source(result, digits, ids), "svg").decode("utf-8")
    except BpcalcError as exc:
        if "graphviz" in exc.message.lower() or "dot program" in exc.message:
            return None, NEEDS
        return None, f"No picture: {exc.message}"
    return data[data.find("<svg") :], ""


def page(result: Result, digits: int = 6, svg: str | None = None, note: str = "") -> str:
    """The whole page; `svg` is the picture drawn with ids=PAGE_IDS (see picture()), or None with a note."""
    title = f"bpcalc explain: {caption(result, digits)}"
    body = fragment(result, PAGE_ID, PAGE_IDS, digits, svg, note, standalone=True)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape.escape(title)}</title>\n"
        "<style>body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;"
        "margin:1em 2em;color:#1f2328}"
        "h1{font-size:1.3em;margin:.2em 0}</style>\n</head>\n<body>\n"
        f"<h1>bpcalc explain</h1>\n{body}\n</body>\n</html>\n"
    )


def fragment(result: Result, root: str, ids: str, digits: int, svg: str | None, note: str, standalone: bool) -> str:
    """The stepper's markup under the element with id `root`; the ids inside start with `ids`, as the SVG's do."""
    found = steps(result, digits)
    tables = rows.tables(result, digits, 0)
    step_id = STEP_ID if standalone else f"{root}-step"
    first = found[0]
    focus = "" if standalone else ' tabindex="0"'  # in a notebook the keys work once the display has focus
    parts = [
        f'<div id="{root}" class="bpx"{focus}>',
        f"<style>{_style(root)}</style>",
        f'<p class="bpx-source"><code>{escape.escape(caption(result, digits))}</code></p>',
        '<div class="bpx-bar">',
        (
            '<div class="bpx-controls" role="group" aria-label="Steps">'
            '<button type="button" data-go="first" aria-label="First step">« First</button> '
            '<button type="button" data-go="prev" aria-label="Previous step">‹ Previous</button> '
            '<button type="button" data-go="next" aria-label="Next step">Next ›</button> '
            '<button type="button" data-go="last" aria-label="Last step">Last »</button> '
            f'<input type="range" min="1" max="{len(found)}" value="1" aria-label="Step"> '
            f'<span class="bpx-count">Step 1 of {len(found)}</span></div>'
        ),
        f'<p id="{step_id}" class="bpx-step" aria-live="polite">{escape.escape(first.sentence)}</p>',
        f'<p class="bpx-kink">{escape.escape(first.kink)}</p>',
        "</div>",
        f'<div class="bpx-picture">{svg}</div>' if svg else f'<p class="bpx-note">{escape.escape(note)}</p>',
        '<div class="bpx-tables">',
        _forward_table(tables[0], ids),
        _backward_table(tables[1], ids),
        _summary_table(tables[2], ids),
        "</div>",
        _warnings(result),
        _step_list(found),
        '<script type="application/json" class="bpx-data">',
        json.dumps(_schedule(result, found, tables[1]), ensure_ascii=False, separators=(",", ":")).replace(
            "</", "<\\/"
        ),
        "</script>",
        f"<script>{_script(root, ids, step_id, standalone)}</script>",
        "</div>",
    ]
    return "\n".join(parts)


# ---- the tables, with ids and the cells the stepper hides until their step (class c) ----


def _cells(
    row: tuple[str, ...], numeric: tuple[bool, ...], colours: list[str], hidden: set[int], ids: dict[int, str]
) -> str:
    out = []
    for k, (cell, right, colour) in enumerate(zip(row, numeric, colours)):
        classes = " ".join(c for c in ("c" if k in hidden else "", "r" if right else "", colour) if c)
        attrs = (f' id="{ids[k]}"' if k in ids else "") + (f' class="{classes}"' if classes else "")
        out.append(f"<td{attrs}>{escape.escape(cell)}</td>")
    return "".join(out)


def _table(t: rows.Table, body: list[str]) -> str:
    right = ' class="r"'
    head = "".join(f"<th{right if numeric else ''}>{escape.escape(h)}</th>" for h, numeric in zip(t.headers, t.numeric))
    return (
        f'<div class="bpx-table"><table><caption>{escape.escape(t.title)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _colours(t: rows.Table) -> list[str]:
    return [
        "v" if h == "value" else "g" if h.startswith(("upstream", "∂")) or h == "contribution" else ""
        for h in t.headers
    ]


def _forward_table(t: rows.Table, ids: str) -> str:
    colours = _colours(t)
    value = len(t.headers) - 1
    body = [
        f'<tr id="{ids}f{i}">{_cells(row, t.numeric, colours, {value}, {})}</tr>'
        for i, row in zip(t.keys, t.rows)
        if row
    ]
    return _table(t, body)


def _backward_table(t: rows.Table, ids: str) -> str:
    colours = _colours(t)
    body = []
    for key, row in zip(t.keys, t.rows):
        if row is None:
            continue
        i, k = key
        named = {0: f"{ids}l{i}", 1: f"{ids}u{i}"} if row[0] else {}  # a node's first row: its label and upstream
        body.append(f'<tr id="{ids}{_row(i, k)}">{_cells(row, t.numeric, colours, {2, 3, 4}, named)}</tr>')
    return _table(t, body)


def _summary_table(t: rows.Table, ids: str) -> str:
    colours = _colours(t)
    body = [
        f'<tr id="{ids}s{n}">{_cells(row, t.numeric, colours, {1, 2}, {})}</tr>' for n, row in enumerate(t.rows) if row
    ]
    return _table(t, body)


def _row(i: int, k: int | None) -> str:
    return f"b{i}_{'n' if k is None else k}"


def _warnings(result: Result) -> str:
    if not result.warnings:
        return ""
    items = "".join(
        f'<li class="{"bpx-kinkwarn" if w.kind == "kink" else ""}">{escape.escape(w.message)}</li>'
        for w in result.warnings
    )
    return f'<ul class="bpx-warnings">{items}</ul>'


def _step_list(found: list[ExplainStep]) -> str:
    items = []
    for n, s in enumerate(found, 1):
        kink = f' <span class="k">{escape.escape(s.kink)}</span>' if s.kink else ""
        items.append(
            f'<li><a href="#step={n}" data-step="{n}"><span class="s">{escape.escape(s.sentence)}</span></a>{kink}</li>'
        )
    return f'<details class="bpx-list"><summary>All {len(found)} steps</summary><ol>{"".join(items)}</ol></details>'


# ---- what the script shows at each step ----


def _schedule(result: Result, found: list[ExplainStep], backward: rows.Table) -> dict:
    """For the script: from which step each element shows, texts that change, and each step's highlights.

    Ids are relative to the root's; "e4_0:v" means the value texts of edge e4_0,
    ":g" its gradient texts, "n0:s" node n0's Σ text. Steps count from 0 here.
    """
    nodes = result.graph.nodes
    out = len(nodes) - 1
    uses: dict[int, list[str]] = {}
    for c, node in enumerate(nodes):
        for k, given in enumerate(node.inputs):
            uses.setdefault(given, []).append(f"e{c}_{k}")
    first_row: dict[int, str] = {}
    for key in backward.keys:
        if key is not None:
            first_row.setdefault(key[0], _row(*key))
    show: list[list] = []
    text: dict[str, list] = {}
    lights: list[list[str]] = []
    for t, s in enumerate(found):
        i = s.node
        if s.phase == FORWARD:
            show.append([f"f{i}", t])
            show.extend([f"{e}:v", t] for e in uses.get(i, []) + (["out"] if i == out else []))
            lights.append([f"n{i}", *(f"e{i}_{k}" for k in range(len(nodes[i].inputs))), f"f{i}"])
        elif s.phase == BACKWARD and s.input is None:
            if result.grads[out] is not None:
                show.extend([["out:g", t], [f"l{out}", t]])
                text.setdefault(f"u{out}", []).append([t, number(result.grads[out])])
            lights.append([f"n{out}", "out", first_row.get(out, "")])
        elif s.phase == BACKWARD and s.input is not None:
            j, edge = s.input, f"e{i}_{s.position}"
            show.extend([[_row(i, s.position), t], [f"{edge}:g", t]])
            if s.received == 1:
                show.append([f"l{j}", t])
            text.setdefault(f"u{j}", []).append([t, s.grad])
            if s.fan > 1:
                text.setdefault(f"n{j}:s", []).append([t, "Σ " + s.grad.rpartition(" = ")[2]])
            lights.append([f"n{i}", f"n{j}", edge, _row(i, s.position), first_row.get(j, "")])
        else:
            assert s.phase == DONE
            summary = [f"s{n}" for n in range(len(result.gradient))]
            show.extend([name, t] for name in summary)
            lights.append([f"n{out}", "out", *summary])
    return {"show": show, "text": [[k, v] for k, v in text.items()], "lights": [[x for x in h if x] for h in lights]}


def _style(root: str) -> str:
    r = f"#{root}"
    return (
        f"{r}{{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1f2328;outline:none}}"
        f"{r} .bpx-bar{{position:sticky;top:0;background:#fff;padding:.3em 0;z-index:1;"
        "border-bottom:1px solid #d0d7de}"
        f"{r} .bpx-controls button{{font:inherit;padding:.2em .7em;cursor:pointer}}"
        f"{r} .bpx-controls input{{vertical-align:middle;width:min(24em,40vw)}}"
        f"{r}:not(.bpx-js) .bpx-bar{{display:none}}"  # without the script: the full view and the list of steps
        f"{r} .bpx-step{{font-size:1.15em;margin:.4em 0;min-height:1.4em}}"
        f"{r} .bpx-kink,{r} .bpx-kinkwarn{{color:{KINK};margin:0}}"
        f"{r} .bpx-note{{font-style:italic;color:#57606a}}"
        f"{r} .bpx-picture{{overflow:auto;max-height:70vh;margin:.5em 0}}"
        f"{r} .bpx-table{{overflow:auto;max-height:28em;margin:.6em 0}}"
        f"{r} table{{border-collapse:collapse}}"
        f"{r} caption{{text-align:left;font-weight:bold;padding:.3em 0}}"
        # JupyterLab right-aligns every cell; (0,1,2) beats its .jp-RenderedHTMLCommon td
        f"{r} table th,{r} table td{{padding:2px 12px;text-align:left;border-bottom:1px solid #eaeef2;white-space:pre}}"
        f"{r} table .r{{text-align:right}}"
        f"{r} td.v{{color:{VALUE}}}{r} td.g{{color:{GRAD}}}"
        f"{r} .bpx-pending .c,{r} td.bpx-pending,{r} text.bpx-pending{{visibility:hidden}}"
        f"{r} tr.bpx-on td{{background:#fff8c5}}"
        f"{r} g.bpx-on path,{r} g.bpx-on ellipse,{r} g.bpx-on polygon{{stroke:{HIGHLIGHT};stroke-width:2.5px}}"
        f"{r} g.edge.bpx-on polygon{{fill:{HIGHLIGHT}}}"
        f"{r} g.bpx-on text{{font-weight:bold}}"
        f"{r} .bpx-list a{{color:inherit;text-decoration:none}}{r} .bpx-list li.bpx-on{{background:#fff8c5}}"
    )


# The stepper. Written for this page, ES5 so that old notebook frontends run it; every lookup
# is under the root element, so two displays in one notebook each keep their own step.
SCRIPT = r"""(function(){
var root=document.getElementById(ROOT);if(!root)return;
var data=JSON.parse(root.querySelector('script.bpx-data').textContent);
var P=IDS,FILL={v:VALUE,g:GRAD,s:GRAD};
var items=root.querySelectorAll('.bpx-list li'),n=items.length,cur=-1;
var sentence=document.getElementById(STEP),kink=root.querySelector('.bpx-kink');
var slider=root.querySelector('input[type=range]'),count=root.querySelector('.bpx-count');
var box=root.querySelector('.bpx-picture');
function each(list,f){for(var i=0;i<list.length;i++)f(list[i]);}
function els(id){
  var part=null,k=id.indexOf(':');if(k>=0){part=id.slice(k+1);id=id.slice(0,k);}
  var base=document.getElementById(P+id),list=base?[base]:[];
  if(id.charAt(0)==='n')each(root.querySelectorAll('[id^="'+P+id+'_"]'),function(e){list.push(e);});
  if(!part)return list;
  var found=[];
  each(list,function(e){each(e.querySelectorAll('text'),function(t){if(t.getAttribute('fill')===FILL[part])found.push(t);});});
  return found;
}
// Per step, what it shows and which texts it changes: moving from step a to b touches only
// the steps between them, so a step costs the same early and late in a long walk.
var showAt=[],textAt=[],texts=[],lights=[],lit=[];
for(var i=0;i<n;i++){showAt.push([]);textAt.push([]);}
each(data.show,function(s){each(els(s[0]),function(e){showAt[s[1]].push(e);});});
each(data.text,function(s){each(els(s[0]),function(e){var item=[e,s[1]];texts.push(item);
  each(s[1],function(v){textAt[v[0]].push(item);});});});
each(data.lights,function(h){var l=[];each(h,function(id){l=l.concat(els(id));});lights.push(l);});
function setText(item,k){var t=null;each(item[1],function(v){if(v[0]<=k)t=v[1];});
  item[0].classList.toggle('bpx-pending',t===null);if(t!==null)item[0].textContent=t;}
function into(container,e){
  if(!container||!e.getBoundingClientRect)return;
  var c=container.getBoundingClientRect(),r=e.getBoundingClientRect();
  if(r.left<c.left)container.scrollLeft-=c.left-r.left+20;else if(r.right>c.right)container.scrollLeft+=r.right-c.right+20;
  if(r.top<c.top)container.scrollTop-=c.top-r.top+20;else if(r.bottom>c.bottom)container.scrollTop+=r.bottom-c.bottom+20;
}
function go(k,write){
  k=Math.max(0,Math.min(n-1,k));var t;
  if(cur<0){for(t=0;t<n;t++)each(showAt[t],function(e){e.classList.toggle('bpx-pending',t>k);});
    each(texts,function(item){setText(item,k);});}
  for(t=cur+1;t<=k&&cur>=0;t++){each(showAt[t],function(e){e.classList.remove('bpx-pending');});
    each(textAt[t],function(item){setText(item,k);});}
  for(t=k+1;t<=cur;t++){each(showAt[t],function(e){e.classList.add('bpx-pending');});
    each(textAt[t],function(item){setText(item,k);});}
  cur=k;
  each(lit,function(e){e.classList.remove('bpx-on');});
  lit=lights[k].concat([items[k]]);
  each(lit,function(e){e.classList.add('bpx-on');});
  each(lit,function(e){if(e.tagName==='TR')into(e.parentNode.parentNode.parentNode,e);else if(e.tagName==='g')into(box,e);});
  var li=items[k],s=li.querySelector('.s'),kk=li.querySelector('.k');
  sentence.textContent=s.textContent;kink.textContent=kk?kk.textContent:'';
  slider.value=k+1;count.textContent='Step '+(k+1)+' of '+n;
  each(root.querySelectorAll('button'),function(b){var g=b.getAttribute('data-go');
    b.disabled=(k===0&&(g==='first'||g==='prev'))||(k===n-1&&(g==='next'||g==='last'));});
  if(write&&PAGE){var h='#step='+(k+1);try{history.replaceState(null,'',h);}catch(e){location.replace(h);}}
}
function fromHash(){var m=/^#step=(\d+)$/.exec(location.hash);return m?parseInt(m[1],10)-1:0;}
var moves={first:function(){return 0;},prev:function(){return cur-1;},next:function(){return cur+1;},last:function(){return n-1;}};
root.addEventListener('click',function(e){
  var b=e.target.closest&&e.target.closest('button[data-go],a[data-step]');if(!b||!root.contains(b))return;
  if(b.tagName==='A'){e.preventDefault();go(parseInt(b.getAttribute('data-step'),10)-1,true);}
  else go(moves[b.getAttribute('data-go')](),true);
});
slider.addEventListener('input',function(){go(parseInt(slider.value,10)-1,true);});
function key(e){
  if(e.altKey||e.ctrlKey||e.metaKey||e.defaultPrevented)return;
  var t=e.target,tag=t&&t.tagName,k=e.key,to=null;
  if(tag==='INPUT'||tag==='TEXTAREA'||tag==='SELECT'||(t&&t.isContentEditable))return;
  if(k==='ArrowRight'||(k===' '&&tag!=='BUTTON'&&tag!=='A'))to=cur+1;
  else if(k==='ArrowLeft')to=cur-1;else if(k==='Home')to=0;else if(k==='End')to=n-1;
  if(to===null)return;e.preventDefault();go(to,true);
}
if(PAGE){document.addEventListener('keydown',key);window.addEventListener('hashchange',function(){go(fromHash(),false);});}
else root.addEventListener('keydown',key);
root.classList.add('bpx-js');
go(PAGE?fromHash():0,false);
})();"""  # noqa: E501 (the script's lines are as long as they need)


def _script(root: str, ids: str, step_id: str, standalone: bool) -> str:
    values = {"ROOT": root, "IDS": ids, "STEP": step_id, "VALUE": VALUE, "GRAD": GRAD}
    text = SCRIPT.replace("PAGE", "true" if standalone else "false")
    for name, value in values.items():
        text = text.replace(name, json.dumps(value))
    return text
