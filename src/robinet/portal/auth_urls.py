"""URLs of the portal's sign-up, sign-in, password and profile pages (PORTAL-1)."""

from django.urls import path

from robinet.portal import views_auth as views

urlpatterns = [
    path("inscription/", views.SignupView.as_view(), name="signup"),
    path("inscription/code/", views.SignupCodeView.as_view(), name="signup-code"),
    path("verification/renvoyer/", views.VerifyResendView.as_view(), name="verify-resend"),
    path("verification/<str:token>/", views.VerifyView.as_view(), name="verify"),
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", views.LogoutView.as_view(), name="logout"),
    path("mot-de-passe/", views.PasswordResetView.as_view(), name="password-reset"),
    path(
        "mot-de-passe/<str:token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("profil/", views.ProfileView.as_view(), name="profile"),
    path("profil/comptes/rattacher/", views.LinkAccountView.as_view(), name="link-account"),
    path("profil/comptes/code/", views.LinkCodeView.as_view(), name="link-code"),
    path(
        "profil/comptes/<str:number>/retirer/",
        views.UnlinkAccountView.as_view(),
        name="unlink-account",
    ),
    path("profil/mot-de-passe/", views.PasswordChangeView.as_view(), name="password-change"),
    path("profil/langue/", views.LanguageView.as_view(), name="language"),
]
