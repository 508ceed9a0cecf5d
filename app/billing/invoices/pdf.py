"""An invoice as a PDF (reportlab): number, dates, billing address, lines (proration marked),
discounts, tax by jurisdiction, totals and the credit applied."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from app.kit.money import display
from app.models.invoices import Invoice, InvoiceDiscount, InvoiceLine, InvoiceLineKind

money = display  # minor units with two decimals (`1234` → `12.34 USD`)


def _date(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d")


def render(
    invoice: Invoice,
    lines: Sequence[InvoiceLine],
    discounts: Sequence[InvoiceDiscount],
    customer_name: str,
) -> bytes:
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, title=f"Invoice {invoice.number}", author="Admiral"
    )
    story: list[object] = [
        Paragraph(f"Invoice {escape(invoice.number or '')}", styles["Title"]),
        Paragraph(f"Status: {invoice.status.value}", styles["Normal"]),
        Paragraph(f"Issued: {_date(invoice.finalized_at)}", styles["Normal"]),
    ]
    if invoice.period_start or invoice.period_end:
        period = f"{_date(invoice.period_start)} to {_date(invoice.period_end)}"
        story.append(Paragraph(f"Period: {period}", styles["Normal"]))
    if invoice.paid_at:
        story.append(Paragraph(f"Paid: {_date(invoice.paid_at)}", styles["Normal"]))
    story.append(Spacer(1, 6 * mm))
    address = [
        invoice.billing_name or customer_name,
        invoice.billing_line1,
        invoice.billing_line2,
        " ".join(part for part in (invoice.billing_postal_code, invoice.billing_city) if part),
        "-".join(part for part in (invoice.billing_country, invoice.billing_region) if part),
    ]
    story.append(Paragraph("Bill to", styles["Heading3"]))
    for part in address:
        if part:
            story.append(Paragraph(escape(part), styles["Normal"]))
    if invoice.tax_id:
        story.append(Paragraph(f"Tax id: {escape(invoice.tax_id)}", styles["Normal"]))
    story.append(Spacer(1, 6 * mm))
    currency = invoice.currency
    rows: list[list[str]] = [["Description", "Qty", "Unit", "Amount", "Tax"]]
    for line in lines:
        label = line.description
        if line.kind is InvoiceLineKind.PRORATION:
            label = f"Proration: {label} ({_date(line.period_start)} to {_date(line.period_end)})"
        rows.append(
            [
                label,
                str(line.quantity),
                money(line.unit_amount, currency),
                money(line.amount, currency),
                money(line.tax_amount, currency),
            ]
        )
    table = Table(rows, repeatRows=1, colWidths=[80 * mm, 12 * mm, 28 * mm, 28 * mm, 24 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
            ]
        )
    )
    story.append(table)
    story.append(Spacer(1, 6 * mm))
    totals: list[list[str]] = [["Subtotal", money(invoice.subtotal, currency)]]
    for discount in discounts:
        label = f"Discount {discount.name}"
        if discount.coupon_code:
            label += f" ({discount.coupon_code})"
        totals.append([label, money(-discount.amount, currency)])
    by_jurisdiction: dict[str, int] = defaultdict(int)
    inclusive: dict[str, bool] = {}
    for line in lines:
        if line.jurisdiction:
            by_jurisdiction[line.jurisdiction] += line.tax_amount
            inclusive[line.jurisdiction] = line.tax_inclusive
    for jurisdiction, amount in sorted(by_jurisdiction.items()):
        note = " (included)" if inclusive[jurisdiction] else ""
        totals.append([f"Tax {jurisdiction}{note}", money(amount, currency)])
    if invoice.reverse_charge:
        totals.append(["Reverse charge: the customer accounts for the tax", ""])
    totals.append(["Total", money(invoice.total, currency)])
    if invoice.credited_total:
        totals.append(["Credit notes", money(-invoice.credited_total, currency)])
    totals.append(["Credit applied", money(-invoice.credit_applied, currency)])
    totals.append(["Amount paid", money(invoice.amount_paid, currency)])
    totals.append(["Amount due", money(invoice.amount_due, currency)])
    summary = Table(totals, colWidths=[120 * mm, 52 * mm])
    summary.setStyle(TableStyle([("ALIGN", (1, 0), (1, -1), "RIGHT")]))
    story.append(summary)
    document.build(story)
    return buffer.getvalue()
