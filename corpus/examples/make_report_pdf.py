"""Rebuild local-practices-report.pdf (needs fpdf2: pip install fpdf2).

The report's texts were written for this project. It shows the layout the
pipeline meets in network reports: a running header and footer, a title line
ending in "City, Country", and bold section headings.
"""
from pathlib import Path

from fpdf import FPDF

PRACTICES = [
    ("Free legal clinics in municipal markets", "Nairobi, Kenya",
     "Traders in the city's open-air markets, many of them women and migrants from neighbouring countries, "
     "are often evicted from their stalls or fined without any written decision. Few of them know where to "
     "complain, and private lawyers are far beyond their means.",
     "The county government set up weekly legal clinics inside four large markets, staffed by paralegals "
     "trained with a university law school. The clinics give free advice, help traders file complaints "
     "against unlawful fines, and refer serious cases to the county ombudsperson.",
     ["Bringing advice to where people work reaches those who would never walk into an office.",
      "Training paralegals from the trader community builds trust and keeps the service affordable."]),
    ("A climate adaptation plan written with residents of informal settlements", "Surabaya, Indonesia",
     "Flooding during the rainy season hits the riverside settlements first and hardest. Past drainage "
     "projects were designed without asking residents and often moved water from one neighbourhood to the next.",
     "The city held neighbourhood assemblies in twelve riverside settlements, where residents mapped flood "
     "points and voted on priorities. Their maps became part of the municipal adaptation plan, and a share of "
     "the drainage budget is now spent on the projects residents chose.",
     ["Residents' knowledge of where water gathers proved more precise than the city's old maps.",
      "A budget line reserved for residents' priorities turned consultation into real decisions."]),
]


class Report(FPDF):
    def header(self):
        self.set_font("Helvetica", "I", 8)
        self.cell(0, 8, "Local practices on human rights - example report", align="C")
        self.ln(10)

    def footer(self):
        self.set_y(-12)
        self.set_font("Helvetica", "I", 8)
        self.cell(0, 8, f"Page {self.page_no()}", align="C")


def build(path: Path) -> None:
    pdf = Report()
    pdf.set_auto_page_break(True, margin=18)
    for title, place, challenge, solution, takeaways in PRACTICES:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.multi_cell(0, 7, f"{title} {place}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        for heading, body in (("Challenge addressed", challenge), ("Solution proposed", solution)):
            pdf.set_font("Helvetica", "B", 11)
            pdf.cell(0, 7, heading)
            pdf.ln(7)
            pdf.set_font("Helvetica", "", 10)
            pdf.multi_cell(0, 5, body, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 7, "Takeaways")
        pdf.ln(7)
        pdf.set_font("Helvetica", "", 10)
        for item in takeaways:
            pdf.multi_cell(0, 5, f"- {item}", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


if __name__ == "__main__":
    build(Path(__file__).with_name("local-practices-report.pdf"))
