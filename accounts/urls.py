from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import language, sso, token_views, two_factor_views, views
from .passwords import PolicyPasswordChangeView

app_name = "accounts"

urlpatterns = [
    # the login page with the 统一身份认证 button, and the logout that ends the provider's
    # session too (accounts/sso.py)
    path("login/", sso.LoginView.as_view(), name="login"),
    path("logout/", sso.LogoutView.as_view(), name="logout"),
    path("sso/login/", sso.sso_login, name="sso_login"),
    path("sso/callback/", sso.sso_callback, name="sso_callback"),
    path(
        "password/",
        PolicyPasswordChangeView.as_view(success_url=reverse_lazy("accounts:password_changed")),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_changed.html"),
        name="password_changed",
    ),
    path("language/", language.set_language, name="language"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/<int:pk>/", views.notification_open, name="notification"),
    path("notifications/read/", views.notification_read_all, name="notifications_read"),
    # 两步验证 (accounts.two_factor): under /accounts/otp/, which the forced password change exempts
    path("accounts/otp/", two_factor_views.otp_status, name="otp"),
    path("accounts/otp/setup/", two_factor_views.otp_setup, name="otp_setup"),
    path("accounts/otp/verify/", two_factor_views.otp_verify, name="otp_verify"),
    path("accounts/otp/recovery/", two_factor_views.otp_recovery, name="otp_recovery"),
    path("accounts/otp/disable/", two_factor_views.otp_disable, name="otp_disable"),
    path("accounts/otp/reset/", two_factor_views.otp_reset_list, name="otp_reset_list"),
    path("accounts/otp/reset/<int:pk>/", two_factor_views.otp_reset, name="otp_reset"),
    # 个人 API 令牌 (accounts.api_tokens)
    path("accounts/tokens/", token_views.token_list, name="tokens"),
    path("accounts/tokens/<int:pk>/revoke/", token_views.token_revoke, name="token_revoke"),
]
