"""Finance news sentences written for this project from templates, labelled by construction.

The Twitter set is analysts' actions and tickers; news (and company announcements) also state
results, orders, guidance and plain facts in full sentences. These templates were written by the
upstox-jobs developers (not taken from any dataset) so that the model sees that style too.
Deterministic: the same seed gives the same sentences.
"""
import random

COMPANIES = ["Tata Steel", "Infosys", "Reliance Industries", "HDFC Bank", "Larsen & Toubro",
    "Bharat Electronics", "Asian Paints", "Maruti Suzuki", "Sun Pharma", "Dabur India",
    "Wipro", "Ultratech Cement", "Titan Company", "Bajaj Auto", "Cipla", "Hindalco",
    "Nestle India", "Godrej Consumer", "Tech Mahindra", "JSW Steel", "Avenue Supermarts",
    "Polycab", "Havells", "Pidilite", "Siemens", "ABB India", "Zomato", "Nykaa", "Voltas",
    "the company", "the group", "the lender", "the carmaker", "the drugmaker", "the cement maker",
    "Nordic Paper", "Aalto Systems", "Kestrel Marine", "Baltic Foods", "Helix Software",
    "Orion Metals", "Vantage Logistics", "Lumen Telecom", "Pioneer Chemicals", "Summit Retail"]
CLIENTS = ["NTPC", "Indian Railways", "the Ministry of Defence", "a European utility",
    "a US retailer", "a Gulf oil company", "NHAI", "a state power distributor", "Airbus",
    "a Japanese carmaker", "a large private bank"]
PEOPLE = ["Anil Mehta", "Priya Raman", "Suresh Iyer", "Kavita Rao", "Rahul Sen", "Meera Nair",
    "Jukka Virtanen", "Anna Lindqvist", "David Brown", "Farah Khan"]
CITIES = ["Mumbai", "Pune", "Bengaluru", "Chennai", "Hyderabad", "Ahmedabad", "Gurugram",
    "Kolkata", "Helsinki", "Stockholm", "London", "Singapore"]
QUARTERS = ["first", "second", "third", "fourth", "September", "December", "June", "March"]
SECTORS = ["steel", "software services", "cement", "consumer goods", "pharmaceutical",
    "engineering", "packaging", "logistics", "retail", "telecom", "chemicals", "paper"]
PRODUCTS = ["transformers", "steel pipes", "signalling systems", "software licences",
    "rail coaches", "solar modules", "medical devices", "packaging material", "cables"]
BROKERS = ["Motilal Oswal", "Kotak Institutional Equities", "Jefferies", "CLSA", "Nomura",
    "ICICI Securities", "Morgan Stanley", "HSBC"]
CUR = ["Rs", "EUR", "USD", "SEK"]
UNIT = {"Rs": "crore", "EUR": "million", "USD": "million", "SEK": "million"}

POSITIVE = [
    "{co}'s net profit rose {p}% to {cur} {a} {u} in the {q} quarter from {cur} {b} {u} a year earlier.",
    "Net profit of {co} increased to {cur} {a} {u} from {cur} {b} {u}.",
    "Operating profit rose to {cur} {a} {u} from {cur} {b} {u} in the corresponding period last year.",
    "Net sales grew {p}% year on year to {cur} {a} {u}.",
    "Revenue increased by {p} percent to {cur} {a} {u}, driven by strong demand.",
    "{co} won an order worth {cur} {a} {u} from {client}.",
    "{co} has received a contract worth {cur} {a} {u} to supply {prod} to {client}.",
    "{co} raised its revenue growth guidance for the year to {p}%.",
    "{co} said it expects full-year profit to be higher than last year.",
    "The order book rose to a record {cur} {a} {u} at the end of the quarter.",
    "Shares of {co} jumped {p}% after quarterly results beat estimates.",
    "{co}'s EBITDA margin improved by {bp} basis points to {m}%.",
    "Earnings per share rose to {cur} {x} from {cur} {y}.",
    "The board recommended a dividend of Rs {d} per share, up from Rs {d0} last year.",
    "{broker} upgraded {co} to buy and raised its target price to Rs {tp}.",
    "{co} swung to a net profit of {cur} {a} {u} from a loss of {cur} {b} {u} a year ago.",
    "The company's market share increased to {m}% during the quarter.",
    "{co} reported record quarterly sales of {cur} {a} {u}.",
    "Demand remained strong and {co} expects its volumes to grow further next year.",
    "The acquisition is expected to add to {co}'s earnings from the first year.",
    "{co}'s net interest income grew {p}% and asset quality improved.",
    "Gross NPAs fell to {m}% from {m2}% a year earlier.",
    "Cash flow from operations increased to {cur} {a} {u}.",
    "{co} cut its debt by {cur} {c} {u} during the year.",
    "Sales volumes rose {p}% in November, the best month in the company's history.",
]
NEGATIVE = [
    "{co}'s net profit fell {p}% to {cur} {b} {u} in the {q} quarter from {cur} {a} {u} a year earlier.",
    "Net profit of {co} decreased to {cur} {b} {u} from {cur} {a} {u}.",
    "Operating profit fell to {cur} {b} {u} from {cur} {a} {u} in the corresponding period last year.",
    "Net sales declined {p}% year on year to {cur} {b} {u}.",
    "{co}'s net loss widened to {cur} {a} {u} from {cur} {b} {u} a year ago.",
    "{co} swung to an operating loss of {cur} {b} {u} from a profit of {cur} {a} {u}.",
    "{co} cut its full-year revenue guidance, citing weak demand.",
    "{co} warned that profit for the year would be lower than expected.",
    "{co} will cut {n} jobs and close its plant in {city}.",
    "Shares of {co} fell {p}% after the results missed estimates.",
    "{co}'s EBITDA margin contracted by {bp} basis points to {m}% on higher input costs.",
    "Earnings per share fell to {cur} {y} from {cur} {x}.",
    "{broker} downgraded {co} to sell, citing margin pressure.",
    "{client} cancelled its order for {prod} worth {cur} {a} {u}.",
    "{co} reported a drop in orders as customers delayed spending.",
    "Gross NPAs rose to {m2}% from {m}% a year earlier as slippages increased.",
    "Sales volumes fell {p}% in November on weak rural demand.",
    "{co} said the plant fire would hit production for several weeks.",
    "The regulator imposed a penalty of Rs {c} crore on {co}.",
    "{co}'s market share slipped to {m}% during the quarter.",
    "The company expects its operating profit to decline in the second half.",
    "{co} took a write-down of {cur} {c} {u} on its overseas business.",
    "Rising raw material prices squeezed {co}'s margins in the quarter.",
    "{co} posted a quarterly loss as revenue dropped {p}%.",
    "Credit rating agency {broker} downgraded {co}'s long-term rating, citing rising debt.",
]
NEUTRAL = [
    "{co} will announce its results for the {q} quarter on {date}.",
    "The company has about {n} employees in {k} countries.",
    "{co} is a {sector} company headquartered in {city}.",
    "The annual general meeting will be held on {date} in {city}.",
    "{co} appointed {person} as chief financial officer with effect from {date}.",
    "The transaction is subject to approval by the competition regulator.",
    "The shares will be listed on the NSE and BSE.",
    "The contract covers the supply of {prod} to {client} over {k} years.",
    "The plant has an annual capacity of {n} tonnes.",
    "{co} operates {n} stores across India.",
    "The value of the deal was not disclosed.",
    "The transaction is expected to be completed in the {q} quarter.",
    "{co}'s shares traded at Rs {tp} on the NSE on Friday.",
    "{person} will continue as managing director of {co}.",
    "{co} makes {prod} for customers in the {sector} industry.",
    "The record date for the dividend is {date}.",
    "{co} said it would hold a call with analysts on {date}.",
    "The board of {co} will meet on {date} to consider a fund raise.",
    "{co} has operations in {k} countries and sells mainly to {sector} customers.",
    "The new unit will be located in {city}.",
    "{co} said it had completed the merger of its two subsidiaries.",
    "The company's financial year ends in March.",
    "The offer price is Rs {tp} per share.",
    "{co} owns {p}% of the joint venture.",
    "The report covers the period from April to September.",
    "{co} changed its name to reflect its new structure.",
    "{person} joined {co} in {year} and previously worked in the {sector} industry.",
    "The figures are unaudited.",
    "{co} will present at an investor conference in {city} next week.",
    "The company uses {prod} produced at its {city} plant.",
]
DATES = ["12 January", "3 February", "28 April", "15 May", "7 August", "22 October", "9 November"]


def fill(template, rng):
    cur = rng.choice(CUR)
    a = rng.randint(120, 9000)
    b = round(a * rng.uniform(0.4, 0.9))
    x = round(rng.uniform(5, 90), 1)
    m = round(rng.uniform(2, 30), 1)
    return template.format(
        co=rng.choice(COMPANIES), client=rng.choice(CLIENTS), person=rng.choice(PEOPLE),
        city=rng.choice(CITIES), q=rng.choice(QUARTERS), sector=rng.choice(SECTORS),
        prod=rng.choice(PRODUCTS), broker=rng.choice(BROKERS), cur=cur, u=UNIT[cur],
        a=f"{a:,}", b=f"{b:,}", c=rng.randint(5, 900), p=rng.randint(3, 45),
        bp=rng.randint(40, 400), m=m, m2=round(m * rng.uniform(1.2, 1.8), 1), x=x,
        y=round(x * rng.uniform(0.4, 0.9), 1), d=rng.randint(4, 30), d0=rng.randint(1, 3),
        tp=rng.randint(90, 6000), n=rng.choice([250, 1200, 3400, 18000, 60000, 150]),
        k=rng.randint(2, 40), date=rng.choice(DATES), year=rng.randint(1995, 2022))


def sentences(per_template=20, seed=11):
    """(text, label) pairs, label 0 negative, 1 positive, 2 neutral (the Twitter set's codes)."""
    rng = random.Random(seed)
    out = []
    for label, templates in ((1, POSITIVE), (0, NEGATIVE), (2, NEUTRAL)):
        for t in templates:
            seen = set()
            for _ in range(per_template):
                s = fill(t, rng)
                if s not in seen:
                    seen.add(s)
                    out.append((s, label))
    return out


if __name__ == "__main__":
    for s, l in sentences()[:: 97]:
        print(l, s)
