"""URLs of the portal's requests and self-service actions (PORTAL-2)."""

from django.urls import path

from robinet.portal import views_actions as views

urlpatterns = [
    path("demandes/", views.RequestListView.as_view(), name="requests"),
    path("demandes/<str:number>/", views.RequestDetailView.as_view(), name="request-detail"),
    path("demarches/", views.ActionsIndexView.as_view(), name="actions"),
    path("demarches/releve/", views.ReadingView.as_view(), name="reading"),
    path("demarches/delai-de-paiement/", views.PlanRequestView.as_view(), name="plan-request"),
    path("demarches/fuite/", views.LeakReliefView.as_view(), name="leak-relief"),
    path("demarches/demenagement/", views.MoveView.as_view(), name="move"),
    path("demarches/coordonnees/", views.ContactDataView.as_view(), name="contact-data"),
    path("demarches/prelevement/", views.BankDetailsView.as_view(), name="bank-details"),
    path("demarches/services/", views.ServicesView.as_view(), name="services"),
    path("demarches/demande/", views.FreeRequestView.as_view(), name="free-request"),
    path("demarches/mes-donnees/", views.GdprExportView.as_view(), name="gdpr-export"),
    path("fichiers/<int:pk>/", views.UploadView.as_view(), name="upload"),
]
