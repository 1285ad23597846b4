"""The fit report of ``promosim calibrate``: fitted against observed, with confidence intervals."""

from __future__ import annotations

import datetime as dt
import html
import math
from typing import TYPE_CHECKING, Any

from sim.report.figures import PALETTE, axes, on, style, subplot_grid, subplots, top_legend
from sim.report.labels import LABELS, Text
from sim.report.page import Fig, Plots, note_html, page, plotly_text, section_html

if TYPE_CHECKING:
    import plotly.graph_objects as go

CAL_LABELS: dict[str, dict[str, str]] = {
    "cal_title": {"en": "Calibration report", "zh": "校准报告"},
    "cal_meta": {
        "en": "{orders} orders, {contacts} contacts; contacts observed {start} to {end}",
        "zh": "{orders} 个订单，{contacts} 条进线；进线观察期 {start} 至 {end}",
    },
    "cal_note": {
        "en": "Fitted values with their 95% confidence intervals; the fragment carries them as "
        "comments.",
        "zh": "拟合值及其 95% 置信区间；参数片段文件中以注释形式保留。",
    },
    "cal_sec_params": {"en": "Fitted parameters", "zh": "拟合参数"},
    "cal_sec_excluded": {"en": "Rows excluded, and why", "zh": "被排除的行及原因"},
    "cal_none_excluded": {"en": "No row was excluded.", "zh": "没有行被排除。"},
    "cal_sec_orders": {"en": "Orders per day", "zh": "每日订单量"},
    "cal_sec_intraday": {"en": "Orders by hour of day", "zh": "各小时订单占比"},
    "cal_sec_lags": {"en": "Contact lags by reason", "zh": "各原因进线滞后时间"},
    "cal_sec_handle": {"en": "Handle time by channel", "zh": "各渠道处理时长"},
    "cal_sec_patience": {"en": "Patience (Kaplan–Meier)", "zh": "耐心时长（Kaplan–Meier）"},
    "cal_sec_csat": {"en": "CSAT model calibration", "zh": "满意度模型校准"},
    "cal_parameter": {"en": "Parameter", "zh": "参数"},
    "cal_value": {"en": "Fitted", "zh": "拟合值"},
    "cal_ci": {"en": "95% CI", "zh": "95% 置信区间"},
    "cal_n": {"en": "n", "zh": "样本量"},
    "cal_rows": {"en": "Rows", "zh": "行数"},
    "cal_reason": {"en": "Reason", "zh": "原因"},
    "cal_observed": {"en": "observed", "zh": "观测"},
    "cal_fitted": {"en": "fitted", "zh": "拟合"},
    "cal_promo_day": {"en": "days with promotion orders", "zh": "含促销订单的日期"},
    "cal_axis_share": {"en": "share of orders", "zh": "订单占比"},
    "cal_axis_hour": {"en": "hour of day", "zh": "小时"},
    "cal_axis_density": {"en": "density per hour", "zh": "每小时密度"},
    "cal_axis_lag": {"en": "lag, hours", "zh": "滞后，小时"},
    "cal_axis_handle": {"en": "handle time, seconds", "zh": "处理时长，秒"},
    "cal_axis_cdf": {"en": "share at most", "zh": "累计占比"},
    "cal_axis_wait": {"en": "wait, seconds", "zh": "等待，秒"},
    "cal_axis_patient": {"en": "share still waiting (patience left)", "zh": "仍愿等待的比例"},
    "cal_axis_predicted": {"en": "predicted P(satisfied)", "zh": "预测满意概率"},
    "cal_axis_satisfied": {"en": "observed share satisfied", "zh": "观测满意比例"},
    "cal_km": {"en": "Kaplan–Meier", "zh": "Kaplan–Meier 曲线"},
    "cal_exp": {"en": "exponential fit, mean {mean:.0f} s", "zh": "指数拟合，均值 {mean:.0f} 秒"},
    "cal_naive": {
        "en": "naive mean of abandoners' waits {mean:.0f} s (biased low)",
        "zh": "放弃者等待时长的简单均值 {mean:.0f} 秒（偏低）",
    },
    "cal_lag_title": {
        "en": "{reason}: from {anchor}, {family}, KS {ks:.3f}",
        "zh": "{reason}：自 {anchor} 起，{family}，KS {ks:.3f}",
    },
    "cal_handle_title": {"en": "{channel}: KS {ks:.3f}", "zh": "{channel}：KS {ks:.3f}"},
    "cal_patience_note": {
        "en": "Answered contacts are censored: their wait is a lower bound on patience. The "
        "exponential MLE counts every contact's wait; the mean of abandoners' waits alone "
        "ignores everyone who would have waited longer.",
        "zh": "被接起的进线是删失观测：其等待时长只是耐心的下界。指数最大似然估计计入所有进线的"
        "等待时间；只对放弃者的等待求均值会忽略那些本可等得更久的客户。",
    },
    "cal_lag_note": {
        "en": "Lags are fitted truncated to the observation window; the histogram is of observed "
        "lags and the curve the untruncated fit, so long lags near the window's end look rarer.",
        "zh": "滞后分布按观察期截断拟合；直方图为观测滞后，曲线为未截断的拟合分布，"
        "因此接近观察期末的长滞后显得较少。",
    },
    "cal_ideal": {"en": "perfect calibration", "zh": "完美校准"},
    "cal_sec_gof": {"en": "Goodness of fit", "zh": "拟合优度"},
    "cal_statistic": {"en": "Statistic", "zh": "统计量"},
    "cal_gof_dispersion": {
        "en": "orders per day: variance ÷ mean (1 for Poisson days)",
        "zh": "每日订单量：方差 ÷ 均值（泊松为 1）",
    },
    "cal_gof_lag": {
        "en": "{reason}: KS distance of the lag fit",
        "zh": "{reason}：滞后拟合的 KS 距离",
    },
    "cal_gof_handle": {
        "en": "{channel}: KS distance of the handle-time fit",
        "zh": "{channel}：处理时长拟合的 KS 距离",
    },
    "cal_gof_km": {
        "en": "{channel}: largest gap, Kaplan–Meier to exponential",
        "zh": "{channel}：Kaplan–Meier 与指数拟合的最大差距",
    },
    "cal_gof_csat": {
        "en": "CSAT: largest gap, observed to predicted share by tenth",
        "zh": "满意度：各十分位观测与预测比例的最大差距",
    },
    "cal_sec_funnel": {"en": "Pre-sale funnel and bot", "zh": "售前询单转化与机器人"},
    "cal_funnel_meta": {
        "en": "hourly export: {hours} hours, {start} to {end}",
        "zh": "小时数据：{hours} 小时，{start} 至 {end}",
    },
    "cal_funnel_note": {
        "en": "Each dot is an hour: its inquiries' conversion against its mean human response "
        "time. The curve is the binomial fit c·(floor + (1 − floor)·exp(−λ·w)); the hour's "
        "mean wait stands for its waits, so the loss from waiting is understated (the floor "
        "biased high) when waits vary within an hour.",
        "zh": "每个点为一个小时：该小时询单转化率对人工平均响应时长。曲线为二项分布拟合 "
        "c·(floor + (1 − floor)·exp(−λ·w))；以小时平均等待代替等待分布，"
        "小时内等待差异越大，等待造成的流失越被低估（floor 偏高）。",
    },
    "cal_axis_response": {
        "en": "mean human response, minutes",
        "zh": "人工平均响应时长，分钟",
    },
}


LABELS.update(CAL_LABELS)


def _cal_rows(f: Any) -> list[tuple[str, Any]]:
    """(parameter, estimate) rows of a calibration fit, in fragment order."""
    rows: list[tuple[str, Any]] = []
    o = f.orders
    if o is not None:
        rows.append(("orders.per_day", o.per_day))
        days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        for d, e in zip(days, o.weekday_factors or [], strict=False):
            rows.append((f"orders.weekday_factors.{d}", e))
        if o.uplift is not None:
            rows.append(("promotion.order_uplift", o.uplift))
    for name, (median, sigma) in f.fulfilment.items():
        rows.append((f"fulfilment.{name}.median", median))
        rows.append((f"fulfilment.{name}.sigma", sigma))
    for r in f.reasons:
        if r.rate_per_order is not None:
            rows.append((f"{r.name}.rate_per_order", r.rate_per_order))
        if r.lag is not None:
            for k, e in r.lag.params.items():
                rows.append((f"{r.name}.lag_hours.{k} ({r.lag.anchor})", e))
        if r.handle_time_factor is not None:
            rows.append((f"{r.name}.handle_time_factor", r.handle_time_factor))
        if r.resolution is not None:
            rows.append((f"{r.name}.resolution_probability", r.resolution))
    for c, h in f.handle.items():
        rows.append((f"channels.{c}.handle_time_seconds.median", h.median))
        rows.append((f"channels.{c}.handle_time_seconds.sigma", h.sigma))
    for c, p in f.patience.items():
        if p.abandoned:
            rows.append((f"channels.{c}.patience_seconds.mean", p.mean))
    for key in ("repeat", "repeat_lag_hours", "redial", "redial_lag_minutes"):
        e = getattr(f, key)
        if e is not None:
            name = {"repeat": "repeat_probability", "redial": "redial_probability"}.get(key, key)
            rows.append((f"journey.{name}", e))
    if f.csat is not None:
        rows += [(f"satisfaction.{k}", e) for k, e in f.csat.coef.items()]
    return rows


def _cal_table(rows: list[tuple[str, Any]], t: Text) -> str:
    """Estimates as a table: parameter, value, 95% interval, n."""

    def g(v: float) -> str:
        return f"{v:.4g}"

    body = "".join(
        f"<tr><td>{html.escape(name)}</td><td class=num>{g(e.value)}</td>"
        f"<td class=num>[{g(e.lo)}, {g(e.hi)}]</td><td class=num>{e.n}</td></tr>"
        for name, e in rows
    )
    head = "".join(
        f"<th>{html.escape(t(k))}</th>" for k in ("cal_parameter", "cal_value", "cal_ci", "cal_n")
    )
    return f'<table class="glossary"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _cal_excluded(f: Any, t: Text) -> str:
    if not f.excluded and not f.notes:
        return note_html(t("cal_none_excluded"))
    body = "".join(
        f"<tr><td>{html.escape(why)}</td><td class=num>{k}</td></tr>"
        for why, k in f.excluded.items()
    )
    head = f"<th>{html.escape(t('cal_reason'))}</th><th>{html.escape(t('cal_rows'))}</th>"
    notes = "".join(note_html(n) for n in f.notes)
    return (
        f'<table class="glossary"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
        + notes
    )


def _cal_gof(f: Any, t: Text) -> str:
    rows: list[tuple[str, float]] = []
    if f.orders is not None:
        rows.append((t("cal_gof_dispersion"), f.orders.dispersion_index))
    rows += [(t("cal_gof_lag", reason=r.name), r.lag.ks) for r in f.reasons if r.lag is not None]
    rows += [(t("cal_gof_handle", channel=c), h.ks) for c, h in f.handle.items()]
    rows += [(t("cal_gof_km", channel=c), p.km_gap) for c, p in f.patience.items() if p.abandoned]
    if f.csat is not None and f.csat.calibration:
        rows.append((t("cal_gof_csat"), max(abs(p - o) for p, o, _ in f.csat.calibration)))
    body = "".join(
        f"<tr><td>{html.escape(name)}</td><td class=num>{value:.3f}</td></tr>"
        for name, value in rows
    )
    head = f"<th>{html.escape(t('cal_statistic'))}</th><th>{html.escape(t('cal_value'))}</th>"
    return f'<table class="glossary"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _titled(text: str) -> dict[str, Any]:
    """An axis with its title (as plotly's ``xaxis_title=text``)."""
    return {"title": {"text": text}}


def _cal_orders_figure(f: Any, t: Text) -> Fig | None:
    o = f.orders
    if o is None:
        return None
    colors = [PALETTE[1] if p else PALETTE[0] for p in o.day_promo]
    fitted = []
    for d in o.day_dates:
        e = o.weekday_means[dt.date.fromisoformat(d).weekday()]
        fitted.append(e.value if e is not None else None)
    fig: Fig = {
        "data": [
            {
                "marker": {"color": colors},
                "name": t("cal_observed"),
                "x": list(o.day_dates),
                "y": list(o.day_counts),
                "type": "bar",
            },
            {
                "mode": "lines+markers",
                "name": t("cal_fitted"),
                "x": list(o.day_dates),
                "y": fitted,
                "type": "scatter",
            },
        ],
        "layout": {},
    }
    style(fig, 380, yaxis=_titled(t("orders")))
    return fig


def _cal_intraday_figure(f: Any, t: Text) -> Fig | None:
    o = f.orders
    if o is None:
        return None
    shares = o.intraday_share
    bar = {
        "error_y": {
            "type": "data",
            "symmetric": False,
            "array": [e.hi - e.value for e in shares],
            "arrayminus": [e.value - e.lo for e in shares],
        },
        "name": t("cal_observed"),
        "x": list(range(24)),
        "y": [e.value for e in shares],
        "type": "bar",
    }
    fig: Fig = {"data": [bar], "layout": {}}
    style(fig, 340, xaxis=_titled(t("cal_axis_hour")), yaxis=_titled(t("cal_axis_share")))
    return fig


def _cal_lag_figure(f: Any, t: Text) -> Fig | None:
    import numpy as np

    fits = [r for r in f.reasons if r.lag is not None]
    if not fits:
        return None
    rows, cols = subplot_grid(len(fits), 2)
    titles = [
        t(
            "cal_lag_title",
            reason=plotly_text(r.name),
            anchor=r.lag.anchor,
            family=r.lag.family,
            ks=r.lag.ks,
        )
        for r in fits
    ]
    fig = subplots(rows, cols, titles=titles)
    for k, r in enumerate(fits, start=1):
        lag = r.lag
        hi = float(np.quantile(lag.lags_hours, 0.99))
        edges = np.linspace(0.0, hi, 41)
        counts, _ = np.histogram(lag.lags_hours, bins=edges)
        dens = counts / max(1, lag.lags_hours.size) / np.diff(edges)
        mid = (edges[1:] + edges[:-1]) / 2
        grid = np.linspace(hi / 400, hi, 200)
        bar = {
            "marker": {"color": PALETTE[0]},
            "name": t("cal_observed"),
            "showlegend": k == 1,
            "x": mid.tolist(),
            "y": dens.tolist(),
            "type": "bar",
        }
        curve = {
            "line": {"color": PALETTE[1]},
            "mode": "lines",
            "name": t("cal_fitted"),
            "showlegend": k == 1,
            "x": grid.tolist(),
            "y": lag.pdf(grid).tolist(),
            "type": "scatter",
        }
        fig["data"] += [on(bar, k), on(curve, k)]
        axes(fig, "x", [k], title={"text": t("cal_axis_lag")})
        axes(fig, "y", [k], title={"text": t("cal_axis_density")})
    style(fig, 320 * rows, bargap=0)
    top_legend(fig, 1)
    return fig


def _cal_handle_figure(f: Any, t: Text) -> Fig | None:
    import numpy as np
    from scipy import special

    from sim import fmath

    if not f.handle:
        return None
    names = list(f.handle)
    rows, cols = subplot_grid(len(names), 2)
    titles = [t("cal_handle_title", channel=plotly_text(c), ks=f.handle[c].ks) for c in names]
    fig = subplots(rows, cols, titles=titles)
    for k, c in enumerate(names, start=1):
        h = f.handle[c]
        x = np.sort(h.observed_seconds)
        step = max(1, x.size // 300)
        grid = x[::step]
        # the channel's fitted mixture over reasons: each cell's median, the channel's sigma
        total = sum(e.n for e in h.cell_median.values())
        s = h.sigma.value
        cdf = sum(
            e.n / total * special.ndtr((fmath.log(grid) - math.log(e.value)) / s)
            for e in h.cell_median.values()
        )
        observed = {
            "line": {"color": PALETTE[0]},
            "mode": "lines",
            "name": t("cal_observed"),
            "showlegend": k == 1,
            "x": grid.tolist(),
            "y": (np.arange(x.size)[::step] / x.size).tolist(),
            "type": "scatter",
        }
        fitted = {
            "line": {"color": PALETTE[1], "dash": "dash"},
            "mode": "lines",
            "name": t("cal_fitted"),
            "showlegend": k == 1,
            "x": grid.tolist(),
            "y": np.asarray(cdf).tolist(),
            "type": "scatter",
        }
        fig["data"] += [on(observed, k), on(fitted, k)]
        axes(fig, "x", [k], title={"text": t("cal_axis_handle")}, type="log")
        axes(fig, "y", [k], title={"text": t("cal_axis_cdf")}, range=[0, 1])
    style(fig, 320 * rows)
    top_legend(fig, 1)
    return fig


def _cal_patience_figure(f: Any, t: Text) -> Fig | None:
    import numpy as np

    from sim import fmath

    fits = {c: p for c, p in f.patience.items() if p.abandoned}
    if not fits:
        return None
    fig: Fig = {"data": [], "layout": {}}
    for i, (name, p) in enumerate(fits.items()):
        c = plotly_text(name)
        color = PALETTE[i % len(PALETTE)]
        fig["data"].append(
            {
                "line": {"color": color, "shape": "hv"},
                "mode": "lines",
                "name": f"{c} · {t('cal_km')}",
                "x": p.km_time.tolist(),
                "y": p.km_survival.tolist(),
                "type": "scatter",
            }
        )
        top = float(p.km_time.max()) if p.km_time.size else 1.0
        grid = np.linspace(0.0, max(top, 1.0), 100)
        fig["data"].append(
            {
                "line": {"color": color, "dash": "dash"},
                "mode": "lines",
                "name": f"{c} · {t('cal_exp', mean=p.mean.value)}",
                "x": grid.tolist(),
                "y": fmath.exp(-grid / p.mean.value).tolist(),
                "type": "scatter",
            }
        )
        if math.isfinite(p.naive_mean):
            fig["data"].append(
                {
                    "line": {"color": color, "dash": "dot"},
                    "mode": "lines",
                    "name": f"{c} · {t('cal_naive', mean=p.naive_mean)}",
                    "x": [p.naive_mean, p.naive_mean],
                    "y": [0, 1],
                    "type": "scatter",
                }
            )
    style(
        fig,
        420,
        xaxis=_titled(t("cal_axis_wait")),
        yaxis=_titled(t("cal_axis_patient")) | {"range": [0, 1.02]},
    )
    top_legend(fig, len(fits))  # one legend row per channel
    return fig


def _cal_csat_figure(f: Any, t: Text) -> Fig | None:
    if f.csat is None or not f.csat.calibration:
        return None
    pred = [c[0] for c in f.csat.calibration]
    obs = [c[1] for c in f.csat.calibration]
    ideal = {
        "line": {"color": "#999", "dash": "dot"},
        "mode": "lines",
        "name": t("cal_ideal"),
        "x": [0, 1],
        "y": [0, 1],
        "type": "scatter",
    }
    observed = {
        "mode": "lines+markers",
        "name": t("cal_observed"),
        "x": pred,
        "y": obs,
        "type": "scatter",
    }
    fig: Fig = {"data": [ideal, observed], "layout": {}}
    style(
        fig,
        380,
        xaxis=_titled(t("cal_axis_predicted")) | {"range": [0, 1]},
        yaxis=_titled(t("cal_axis_satisfied")) | {"range": [0, 1]},
    )
    return fig


def _funnel_rows(ff: Any) -> list[tuple[str, Any]]:
    """(parameter, estimate) rows of an hourly export's fit."""
    rows: list[tuple[str, Any]] = []
    cv = ff.conversion
    if cv is not None:
        rows.append(("inquiry conversion (overall)", cv.overall))
        if cv.identified:
            rows += [
                ("presale.browser_ratio", cv.browser_ratio),
                ("would-be buyers' share c", cv.c),
                ("presale.keep_floor", cv.floor),
                ("presale.keep_per_minute", cv.keep_per_minute),
            ]
    if ff.inquiry_share is not None:
        rows.append(("presale.inquiry.rate_per_order", ff.inquiry_share))
    elif ff.inquiry_share_bound is not None:
        rows.append(("presale.inquiry.rate_per_order (upper bound)", ff.inquiry_share_bound))
    if ff.containment is not None:
        rows.append((f"channels.{ff.channel}.bot.default_containment", ff.containment))
    return rows


def _funnel_figure(ff: Any, t: Text) -> Fig | None:
    cv = ff.conversion
    if cv is None:
        return None
    import numpy as np

    w = cv.wait_minutes
    grid = np.linspace(0.0, float(w.max()) * 1.05, 200)
    observed = {
        "marker": {"color": PALETTE[0], "opacity": 0.5, "size": 5},
        "mode": "markers",
        "name": t("cal_observed"),
        "x": np.asarray(w, dtype=float).tolist(),
        "y": np.asarray(cv.converted / cv.inquiries, dtype=float).tolist(),
        "type": "scatter",
    }
    fitted = {
        "line": {"color": PALETTE[1], "width": 2},
        "mode": "lines",
        "name": t("cal_fitted"),
        "x": grid.tolist(),
        "y": np.asarray(cv.curve(grid), dtype=float).tolist(),
        "type": "scatter",
    }
    fig: Fig = {"data": [observed, fitted], "layout": {}}
    style(
        fig,
        380,
        xaxis=_titled(t("cal_axis_response")),
        yaxis=_titled(t("inquiry_conversion")) | {"range": [0, 1]},
    )
    return fig


def _funnel_section(ff: Any, t: Text, plot: Plots) -> str:
    meta = t(
        "cal_funnel_meta",
        hours=ff.n_hours,
        start=f"{ff.first_hour:%Y-%m-%d %H:00}",
        end=f"{ff.last_hour:%Y-%m-%d %H:00}",
    )

    return (
        note_html(meta)
        + _cal_table(_funnel_rows(ff), t)
        + _cal_excluded(ff, t)
        + note_html(t("cal_funnel_note"))
        + plot(_funnel_figure(ff, t), "fig-cal-funnel")
    )


def build_calibration_report(
    fit: Any,
    lang: str = "en",
    funnel: Any = None,
    figures: dict[str, go.Figure] | None = None,
) -> str:
    """The fit report of ``promosim calibrate``: fitted against observed, with CIs.

    Args:
        fit: A :class:`sim.calibrate.Fit` (None: an hourly export alone).
        lang: ``en`` or ``zh``.
        funnel: A :class:`sim.funnel.FunnelFit`: its section is added.
        figures: If given, receives every figure by its div id.
    """
    t = Text(lang)
    plot = Plots(t, figures)
    funnel_body = (
        [section_html("funnel", t("cal_sec_funnel"), _funnel_section(funnel, t, plot))]
        if funnel is not None
        else []
    )
    if fit is None:
        return page(t("cal_title"), "", [t("cal_note")], funnel_body, t)
    meta = t(
        "cal_meta",
        orders=fit.n_orders,
        contacts=fit.n_contacts,
        start=f"{fit.window_start:%Y-%m-%d}",
        end=f"{fit.window_end:%Y-%m-%d}",
    )
    body = [
        section_html("parameters", t("cal_sec_params"), _cal_table(_cal_rows(fit), t)),
        section_html("excluded", t("cal_sec_excluded"), _cal_excluded(fit, t)),
        section_html("fit", t("cal_sec_gof"), _cal_gof(fit, t)),
        section_html(
            "orders", t("cal_sec_orders"), plot(_cal_orders_figure(fit, t), "fig-cal-orders")
        ),
        section_html(
            "intraday",
            t("cal_sec_intraday"),
            plot(_cal_intraday_figure(fit, t), "fig-cal-intraday"),
        ),
        section_html(
            "lags",
            t("cal_sec_lags"),
            note_html(t("cal_lag_note")) + plot(_cal_lag_figure(fit, t), "fig-cal-lags"),
        ),
        section_html(
            "handle", t("cal_sec_handle"), plot(_cal_handle_figure(fit, t), "fig-cal-handle")
        ),
        section_html(
            "patience",
            t("cal_sec_patience"),
            note_html(t("cal_patience_note"))
            + plot(_cal_patience_figure(fit, t), "fig-cal-patience"),
        ),
        section_html("csat", t("cal_sec_csat"), plot(_cal_csat_figure(fit, t), "fig-cal-csat")),
        *funnel_body,
    ]
    return page(t("cal_title"), meta, [t("cal_note")], body, t)
