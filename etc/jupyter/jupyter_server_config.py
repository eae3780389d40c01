# Loaded by `make lab` (JUPYTER_CONFIG_PATH=etc/jupyter): notebooks are saved without
# outputs, so study text never reaches a file git tracks (helpers.report.labsave).
c.ContentsManager.pre_save_hook = "helpers.report.labsave.strip_outputs"  # noqa: F821
