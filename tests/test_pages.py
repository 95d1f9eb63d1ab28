"""The book's page functions, on an empty store: a page with no run says what would make it."""

import pytest

from reidlab import figures, pages


def test_a_page_without_runs_shows_no_figure_but_the_command_and_cost_that_make_it(tmp_path, capsys, monkeypatch):
    page = pages.open_page("table5", "smoke", None, execute_runs=False, store=str(tmp_path / "store"),
                           output_dir=str(tmp_path / "book"))
    assert page.frame.empty and "Folds: 1 test folds per variant declared" in capsys.readouterr().out
    monkeypatch.setattr(figures, "show", lambda *a: pytest.fail("a figure of no runs was shown"))
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(getattr(obj, "data", obj)))
    pages.cmc_figure(page)
    said = shown[0]  # a Markdown paragraph
    assert said.startswith("No run of this item is stored at profile smoke yet, so no figure: `reidlab study "
                           "table5 --profile smoke` trains its ")
    assert "CPU hours on 2 cores" in said and (page.out / "cmc.png").is_file()  # the page's files stay complete
    with pytest.raises(AssertionError, match="table.csv was not produced"):  # close checks the page's files
        pages.close(page)
    pages.cmc_table(page), pages.fine_tuning_folds(page), pages.finetune_rate(page)  # on no runs too
    pages.item_claims(page)
    pages.close(page)
    assert (page.out / "reads.json").is_file()
