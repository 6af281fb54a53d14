// /me/security/: once django-otp-webauthn's script has added a passkey, reload the page so that
// the list shows it (with the message the server queued).
document.addEventListener("otp_webauthn.register_complete", () => {
  window.location.reload();
});
