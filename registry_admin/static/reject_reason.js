// Picking a rejection reason puts its text, in the applicant's language, into the reason box,
// where the reviewer can still edit it. Without this script the server uses the picked text.
document.addEventListener("DOMContentLoaded", () => {
  const picker = document.getElementById("template");
  const box = document.getElementById("reason");
  if (!picker || !box) return;
  picker.addEventListener("change", () => {
    const chosen = picker.selectedOptions[0];
    if (chosen && chosen.dataset.text) box.value = chosen.dataset.text;
  });
});
