"""Annex 2 indicators that usage telemetry cannot measure: the report shows them from a
manual-inputs file, never computed and never invented.

`value_meaning` says exactly which number the file must hold, so that value / target is
a meaningful progress: figures whose target covers 2026-2029 are cumulative since
1 January 2026 (as MA4 and MC4 in the contract table), yearly ones cover the report year.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ManualIndicator:
    key: str  # the key in the manual-inputs file
    id: str  # the agreement's id (Annex 2)
    agreement_text: str  # Annex 2, in the agreement's words (French)
    title: str
    value_meaning: str
    unit: str
    target: float
    target_period: str


MANUAL_INDICATORS: tuple[ManualIndicator, ...] = (
    ManualIndicator("MV2", "MV2", "4 articles publiés sur skilltech.cafe par mois",
                    "Articles published on skilltech.cafe",
                    "articles published on skilltech.cafe in the report year", "articles", 48,
                    "calendar year (4 a month)"),
    ManualIndicator("MV6", "MV6", "2 EdTech Speed Dating par an", "EdTech Speed Dating events",
                    "EdTech Speed Dating events held in the report year", "events", 2, "calendar year"),
    ManualIndicator("MV10", "MV10", "4 présentations nationales ou internationales dans des conférences et "
                    "workshop à l'exclusion de ceux organisés par le LMDDC",
                    "Presentations at national or international conferences and workshops",
                    "presentations at conferences and workshops not organised by the LMDDC, since 1 January 2026 "
                    "up to the end of the report year", "presentations", 4, "2026-2029"),
    ManualIndicator("MV11-communities", "MV11", "Animation de 2 communautés de pratiques actives avec 6 rencontres "
                    "par an", "Active communities of practice animated",
                    "active communities of practice animated by the LMDDC in the report year", "communities", 2,
                    "calendar year"),
    ManualIndicator("MV11-meetings", "MV11", "Animation de 2 communautés de pratiques actives avec 6 rencontres "
                    "par an", "Meetings of the communities of practice",
                    "meetings of those communities held in the report year", "meetings", 6, "calendar year"),
    ManualIndicator("MA2", "MA2", "Réduction des coûts de licence et de services informatiques externes de nos "
                    "partenaires estimés à 100k€", "Partners' licence and external IT service costs saved",
                    "estimated reduction of partners' licence (PCN 6413) and external IT service (PCN 6132) costs, "
                    "since 1 January 2026 up to the end of the report year", "EUR", 100_000, "2026-2029"),
    ManualIndicator("MI1", "MI1", "1 projet national ou européen par an visant au développement de technologies "
                    "EdTech ou à leur déploiement sur le terrain", "National or European EdTech projects",
                    "national or European EdTech projects whose financing contract was signed in the report year",
                    "projects", 1, "calendar year"),
    ManualIndicator("MI2", "MI2", "1 projet/prestation national ou européen par an en soutien technologique à une "
                    "activité de recherche", "Projects or services supporting research",
                    "national or European projects or paid services supporting a research activity, in the report "
                    "year", "projects", 1, "calendar year"),
    ManualIndicator("FIN1", "FIN1", "Génération de revenus de tiers à hauteur de deux millions d'Euro",
                    "Third-party revenue",
                    "revenue received other than the State's contribution to operating costs, since 1 January 2026 "
                    "up to the end of the report year", "EUR", 2_000_000, "2026-2029"),
    ManualIndicator("FIN2", "FIN2", "75% des ressources humaines internes au LMDDC dédiés à des missions d'utilité "
                    "publique / projets stratégiques", "Internal staff on public-interest missions",
                    "share of internal human resources on public-interest missions or strategic projects in the "
                    "report year", "%", 75, "2026-2029"),
)

MANUAL_KEYS = tuple(indicator.key for indicator in MANUAL_INDICATORS)
